#!/usr/bin/env bash
# Deploys kline-analytics with Pulumi: one Pulumi stack per environment.
#
#   ./scripts/deploy.sh                          # preview + deploy the staging stack
#   ./scripts/deploy.sh --stack production       # preview, confirm, deploy production
#   ENVIRONMENT=production ./scripts/deploy.sh   # the same: ENVIRONMENT names the stack too
#   ./scripts/deploy.sh status                   # stack outputs + rollout state
#
# Run `./scripts/deploy.sh --help` for every command and variable. The script only ever talks to
# the stack named by --stack (or ENVIRONMENT), previews before every update, and never destroys
# production.
set -euo pipefail

readonly STACKS=(development staging production canary)
readonly APP="kline-analytics"
readonly POLICY_PACK="policy"

# Exit codes (documented in --help; the tests rely on them).
readonly EXIT_FAILED=1 EXIT_USAGE=2 EXIT_PREREQ=3 EXIT_REFUSED=4

usage() {
    local text
    # read + printf (builtins) rather than cat: the script needs no tool beyond bash itself.
    IFS= read -r -d '' text <<'EOF' || true
Usage: scripts/deploy.sh [COMMAND] [--stack <name>] [--yes] [--help]

Commands (one Pulumi stack per environment; the stack is chosen by --stack or ENVIRONMENT):
  up        preview the changes, then apply them (default; "deploy" is an alias).
            production and canary ask for confirmation first unless --yes is given.
  preview   show what an update would change (pulumi preview --diff), apply nothing.
  status    show the stack outputs and wait for the Deployment's rollout (kubectl).
  destroy   preview, confirm and delete every resource of the stack. Refuses production.

Options:
  -s, --stack <name>  the stack to work on: development | staging | production | canary
                      (also --stack=<name>). Default: ENVIRONMENT, else staging. Given together
                      with ENVIRONMENT, both must name the same stack.
  -y, --yes           do not ask for confirmation (for automation). Without --yes and without a
                      terminal on stdin, production/canary updates and every destroy are refused.
  -h, --help          show this help.

Environment:
  ENVIRONMENT       the stack when --stack is not given: development | staging | production |
                    canary (default: staging)
  NAMESPACE         namespace of the app (default: kline-analytics-<stack>; canary runs in
                    kline-analytics-production). status watches the rollout there; preview and
                    up refuse to run when it differs from the stack's config (namespace, or
                    productionNamespace for canary) and print the command that changes it.
  AWS_REGION        AWS region; preview and up refuse to run when it differs from the stack's
                    aws:region (moving regions recreates the bucket: change it deliberately).
  BACKUP_S3_BUCKET  the bucket scripts/backup-restore.sh uses; status warns when it is not the
                    stack's backup bucket (stack output backupBucket).
  PULUMI_ACCESS_TOKEN  Pulumi Cloud token (or log in once with `pulumi login`).
  PULUMI_ORG        Pulumi organization of the stacks (<org>/<stack>, as in the workflows);
                    unset: the backend's default organization.
  AWS credentials   AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a web-identity
                    token (AWS_WEB_IDENTITY_TOKEN_FILE) or ~/.aws/credentials.

up does not pin the update to a saved plan (pulumi preview --save-plan / up --plan): with this
program and the Kubernetes provider 4.25 such a plan breaks on the first deploy and whenever a
generated password changes (the provider rewrites a Secret's stringData to data once the value is
known), and Pulumi's "violates plan" message then prints the Secret's data in the log. up previews
again itself, and production and canary ask for confirmation after the preview.

Updates run with the policy pack in ./policy (pulumi --policy-pack policy): a violation of the
security baseline stops the preview before anything is changed.

Exit codes: 0 ok, 1 a command failed, 2 bad usage or variable, 3 a prerequisite is missing,
4 refused (production destroy, or no confirmation).
EOF
    printf '%s' "$text"
}

log() { printf 'deploy.sh: %s\n' "$*" >&2; }
die() {
    local code=$1
    shift
    printf 'deploy.sh: error: %s\n' "$*" >&2
    exit "$code"
}

# The repository root is the folder above this script, wherever the script is called from.
script_dir=${BASH_SOURCE[0]%/*}
[[ $script_dir == "${BASH_SOURCE[0]}" ]] && script_dir=.
REPO_ROOT=$(cd "$script_dir/.." && pwd)
readonly REPO_ROOT

# ---------------------------------------------------------------- arguments and variables

is_stack() {
    local s
    for s in "${STACKS[@]}"; do [[ $1 == "$s" ]] && return 0; done
    return 1
}

# --stack <name>, --stack=<name> or -s <name>: checked as soon as it is read.
STACK_OPTION=""
set_stack_option() {
    local option=$1 value=$2
    [[ -n $value ]] || die "$EXIT_USAGE" "$option needs a stack name; allowed stacks: ${STACKS[*]}"
    is_stack "$value" || die "$EXIT_USAGE" "$option '$value' is not a stack of this project; allowed stacks: ${STACKS[*]}"
    [[ -z $STACK_OPTION || $STACK_OPTION == "$value" ]] ||
        die "$EXIT_USAGE" "two different stacks given ('$STACK_OPTION' and '$value'); give --stack once"
    STACK_OPTION=$value
}

COMMAND=""
ASSUME_YES=false
while (($# > 0)); do
    arg=$1
    shift
    case "$arg" in
        -h | --help | help)
            usage
            exit 0
            ;;
        -y | --yes) ASSUME_YES=true ;;
        -s | --stack)
            # A missing value, or the next option in its place, is refused rather than taken as a name.
            if (($# == 0)) || [[ $1 == -* ]]; then set_stack_option "$arg" ""; fi
            set_stack_option "$arg" "$1"
            shift
            ;;
        --stack=*) set_stack_option --stack "${arg#--stack=}" ;;
        up | deploy | preview | status | destroy)
            [[ -z $COMMAND ]] || die "$EXIT_USAGE" "more than one command given ('$COMMAND' and '$arg'); run one at a time"
            COMMAND=$arg
            ;;
        -*) die "$EXIT_USAGE" "unknown option '$arg'; allowed: --stack <name>, --yes, --help" ;;
        *) die "$EXIT_USAGE" "unknown command '$arg'; allowed: up (default), deploy, preview, status, destroy (see --help)" ;;
    esac
done
[[ $COMMAND == deploy || -z $COMMAND ]] && COMMAND=up

# The stack: --stack, else ENVIRONMENT, else staging. When both are given they must agree: the
# script does not guess which one was meant.
if [[ -n $STACK_OPTION && -n ${ENVIRONMENT:-} && $ENVIRONMENT != "$STACK_OPTION" ]]; then
    die "$EXIT_USAGE" "--stack $STACK_OPTION and ENVIRONMENT=$ENVIRONMENT name different stacks; nothing was run. Give one of them (or the same stack in both)."
fi
if [[ -z $STACK_OPTION ]]; then
    ENVIRONMENT=${ENVIRONMENT:-staging}
    is_stack "$ENVIRONMENT" || die "$EXIT_USAGE" "ENVIRONMENT='$ENVIRONMENT' is not a stack of this project; set ENVIRONMENT (or --stack) to one of: ${STACKS[*]}"
fi
readonly STACK=${STACK_OPTION:-$ENVIRONMENT}
# The workflows keep the stacks in the organization PULUMI_ORG (<org>/<stack>); without it the
# backend's default organization is used. The stack file is Pulumi.<stack>.yaml either way.
if [[ -n ${PULUMI_ORG:-} && ! $PULUMI_ORG =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
    die "$EXIT_USAGE" "PULUMI_ORG='$PULUMI_ORG' is not a Pulumi organization name (letters, digits, '.', '_', '-'); fix or unset it"
fi
readonly STACK_REF=${PULUMI_ORG:+$PULUMI_ORG/}$STACK

if [[ $STACK == canary ]]; then
    DEPLOYMENT="${APP}-canary"
    DEFAULT_NAMESPACE="${APP}-production"
else
    DEPLOYMENT=$APP
    DEFAULT_NAMESPACE="${APP}-${STACK}"
fi
NAMESPACE_FROM_ENV=false
[[ -n ${NAMESPACE:-} ]] && NAMESPACE_FROM_ENV=true
NAMESPACE=${NAMESPACE:-$DEFAULT_NAMESPACE}
[[ $NAMESPACE =~ ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$ ]] ||
    die "$EXIT_USAGE" "NAMESPACE='$NAMESPACE' is not a valid Kubernetes namespace name (lower-case letters, digits and '-', at most 63 characters); unset it to use $DEFAULT_NAMESPACE"
if [[ -n ${AWS_REGION:-} && ! $AWS_REGION =~ ^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$ ]]; then
    die "$EXIT_USAGE" "AWS_REGION='$AWS_REGION' does not look like an AWS region (e.g. us-west-2); fix or unset it"
fi
if [[ -n ${BACKUP_S3_BUCKET:-} && ! $BACKUP_S3_BUCKET =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]]; then
    die "$EXIT_USAGE" "BACKUP_S3_BUCKET='$BACKUP_S3_BUCKET' is not a valid S3 bucket name (3-63 lower-case letters, digits, '.', '-'); fix or unset it"
fi

# production and canary both serve production traffic from the production namespace.
needs_confirmation() {
    [[ $COMMAND == destroy ]] && return 0
    [[ $COMMAND == up && ($STACK == production || $STACK == canary) ]]
}

# ---------------------------------------------------------------- refusals come first: nothing has run yet

if [[ $COMMAND == destroy && $STACK == production ]]; then
    die "$EXIT_REFUSED" "refusing to destroy the production stack: it holds the production database backups and serves live traffic. Nothing was changed. If production really has to go, unprotect its resources and run 'pulumi destroy --stack production' by hand after a review."
fi
if needs_confirmation && ! $ASSUME_YES && [[ ! -t 0 ]]; then
    die "$EXIT_REFUSED" "refusing to $COMMAND the $STACK stack without confirmation: there is no terminal on stdin to ask on. Nothing was changed. Review './scripts/deploy.sh preview --stack $STACK', then re-run with --yes."
fi

# ---------------------------------------------------------------- prerequisites

require_cmd() {
    command -v "$1" >/dev/null 2>&1 || die "$EXIT_PREREQ" "'$1' was not found on PATH. $2"
}

check_pulumi() {
    require_cmd pulumi "Install the Pulumi CLI (https://www.pulumi.com/docs/install/) and make sure it is on PATH."
    if [[ -z ${PULUMI_ACCESS_TOKEN:-} ]] && ! pulumi whoami >/dev/null 2>&1; then
        die "$EXIT_PREREQ" "not logged in to a Pulumi backend. Run 'pulumi login' (or 'pulumi login s3://<bucket>' for a self-managed backend), or export PULUMI_ACCESS_TOKEN."
    fi
}

check_node() {
    require_cmd node "Install Node.js 20 or newer (the Pulumi program is TypeScript)."
    require_cmd npm "Install npm (it ships with Node.js)."
    local version major
    version=$(node --version) || die "$EXIT_PREREQ" "'node --version' failed; reinstall Node.js 20 or newer."
    major=${version#v}
    major=${major%%.*}
    [[ $major =~ ^[0-9]+$ && $major -ge 20 ]] || die "$EXIT_PREREQ" "Node.js $version is too old; install Node.js 20 or newer."
}

check_aws_credentials() {
    if [[ -n ${AWS_ACCESS_KEY_ID:-} && -n ${AWS_SECRET_ACCESS_KEY:-} ]]; then return 0; fi
    if [[ -n ${AWS_PROFILE:-} || -n ${AWS_WEB_IDENTITY_TOKEN_FILE:-} ]]; then return 0; fi
    if [[ -n ${AWS_CONTAINER_CREDENTIALS_FULL_URI:-} || -n ${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-} ]]; then return 0; fi
    if [[ -n ${HOME:-} && -r ${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials} ]]; then return 0; fi
    die "$EXIT_PREREQ" "no AWS credentials found (the stack manages the backup bucket and IAM role). Export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, set AWS_PROFILE, or run 'aws configure'."
}

# `npm ci` wipes node_modules, so it runs only when the install is missing or older than the
# lockfile. npm writes node_modules/.package-lock.json on every install: that is the marker.
ensure_node_modules() {
    local dir=$1
    [[ -f $dir/package-lock.json ]] || die "$EXIT_PREREQ" "$dir/package-lock.json is missing; run the script from a complete clone of the repository."
    local marker=$dir/node_modules/.package-lock.json
    if [[ ! -f $marker || $dir/package-lock.json -nt $marker ]]; then
        log "installing npm dependencies in ${dir#"$REPO_ROOT"/} (npm ci --ignore-scripts)"
        (cd "$dir" && npm ci --ignore-scripts) || die "$EXIT_FAILED" "npm ci failed in $dir; see the npm output above."
    fi
}

select_stack() {
    [[ -f $REPO_ROOT/Pulumi.$STACK.yaml ]] || die "$EXIT_PREREQ" "Pulumi.$STACK.yaml is missing in $REPO_ROOT: the $STACK stack has no config file."
    pulumi stack select "$STACK_REF" ||
        die "$EXIT_PREREQ" "the Pulumi stack '$STACK_REF' does not exist in the current backend. Create it with 'pulumi stack init $STACK_REF', or log in to the backend that holds it ('pulumi login')."
}

# The stack config (Pulumi.<stack>.yaml) is the single source of truth. NAMESPACE and AWS_REGION
# are honoured as assertions only: either one exported for another purpose (or left over from
# another environment) must never silently move the app or its bucket, which would recreate them.
config_value() {
    local value
    if value=$(pulumi config get --stack "$STACK_REF" "$1" 2>/dev/null) && [[ -n $value ]]; then
        printf '%s' "$value"
    else
        printf '%s' "$2"
    fi
}

check_env_matches_config() {
    if [[ -n ${AWS_REGION:-} ]]; then
        local region
        region=$(config_value aws:region "")
        [[ $region == "$AWS_REGION" ]] ||
            die "$EXIT_USAGE" "AWS_REGION=$AWS_REGION but the $STACK stack is configured for aws:region '${region:-unset}'. Nothing was run. Unset AWS_REGION, or move the stack deliberately: pulumi config set --stack $STACK aws:region $AWS_REGION (then preview; the bucket is recreated)."
    fi
    if [[ $NAMESPACE_FROM_ENV == true ]]; then
        local key=namespace
        [[ $STACK == canary ]] && key=productionNamespace
        local configured
        configured=$(config_value "${APP}:$key" "$DEFAULT_NAMESPACE")
        [[ $configured == "$NAMESPACE" ]] ||
            die "$EXIT_USAGE" "NAMESPACE=$NAMESPACE but the $STACK stack deploys to namespace '$configured' (config ${APP}:$key). Nothing was run. Unset NAMESPACE, or move the app deliberately: pulumi config set --stack $STACK ${APP}:$key $NAMESPACE (then preview; namespaced objects are recreated)."
    fi
}

# backup-restore.sh reads BACKUP_S3_BUCKET: tell the operator when it points somewhere else.
check_backup_bucket() {
    [[ -n ${BACKUP_S3_BUCKET:-} ]] || return 0
    local bucket
    bucket=$(pulumi stack output --stack "$STACK_REF" backupBucket 2>/dev/null) || {
        log "note: the $STACK stack has no backupBucket output; BACKUP_S3_BUCKET=$BACKUP_S3_BUCKET was not checked."
        return 0
    }
    [[ $bucket == "$BACKUP_S3_BUCKET" ]] ||
        log "warning: BACKUP_S3_BUCKET=$BACKUP_S3_BUCKET but the $STACK stack's backup bucket is $bucket; scripts/backup-restore.sh would use $BACKUP_S3_BUCKET."
}

confirm() {
    $ASSUME_YES && return 0
    local answer
    printf 'deploy.sh: about to %s the %s stack. Type the stack name (%s) to continue: ' "$COMMAND" "$STACK" "$STACK" >&2
    if ! read -r answer || [[ $answer != "$STACK" ]]; then
        die "$EXIT_REFUSED" "not confirmed; nothing was applied to $STACK."
    fi
}

# ---------------------------------------------------------------- commands

cd "$REPO_ROOT"

case "$COMMAND" in
    status)
        check_pulumi
        require_cmd kubectl "Install kubectl (https://kubernetes.io/docs/tasks/tools/) and point it at the cluster (KUBECONFIG)."
        select_stack
        pulumi stack output --stack "$STACK_REF"
        check_backup_bucket
        kubectl rollout status "deployment/$DEPLOYMENT" --namespace "$NAMESPACE" --timeout=120s ||
            die "$EXIT_FAILED" "deployment/$DEPLOYMENT in namespace $NAMESPACE is not rolled out; see 'kubectl get pods -n $NAMESPACE' and docs/operations.md (troubleshooting)."
        ;;
    preview | up)
        check_pulumi
        check_node
        check_aws_credentials
        ensure_node_modules "$REPO_ROOT"
        ensure_node_modules "$REPO_ROOT/$POLICY_PACK"
        select_stack
        check_env_matches_config
        pulumi preview --stack "$STACK_REF" --diff --non-interactive --policy-pack "$POLICY_PACK" ||
            die "$EXIT_FAILED" "the preview of $STACK failed (see above): nothing was applied."
        if [[ $COMMAND == up ]]; then
            needs_confirmation && confirm
            pulumi up --stack "$STACK_REF" --yes --non-interactive --policy-pack "$POLICY_PACK" ||
                die "$EXIT_FAILED" "pulumi up of $STACK failed (see above); './scripts/deploy.sh status --stack $STACK' shows what is running."
            log "$STACK is up to date; './scripts/deploy.sh status --stack $STACK' shows the rollout."
        fi
        ;;
    destroy)
        check_pulumi
        check_aws_credentials
        select_stack
        pulumi destroy --stack "$STACK_REF" --preview-only --non-interactive ||
            die "$EXIT_FAILED" "the destroy preview of $STACK failed (see above): nothing was deleted."
        confirm
        pulumi destroy --stack "$STACK_REF" --yes --non-interactive ||
            die "$EXIT_FAILED" "pulumi destroy of $STACK failed (see above)."
        ;;
esac
