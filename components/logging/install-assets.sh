#!/usr/bin/env bash
# Installs the logging assets (ILM policies, ingest pipeline, index templates, Kibana data view)
# into an ECK-managed Elasticsearch and Kibana. It is what the logging installer Job runs, and a
# person can run it by hand with the same environment.
#
# Idempotent: every request is an upsert (PUT for Elasticsearch, override=true for the data view),
# so running it again converges on the same state. It waits for the cluster (yellow) and for
# Kibana, retrying with exponential backoff, until WAIT_TIMEOUT_SECONDS have passed overall.
#
# Environment:
#   ES_URL                   Elasticsearch HTTP endpoint, e.g. https://logging-es-http.logging.svc:9200 (required)
#   KIBANA_URL               Kibana endpoint, e.g. https://logging-kb-http.logging.svc:5601 (required when
#                            requests.txt has a kibana line)
#   ELASTIC_PASSWORD_FILE    file holding the operator-generated password of ELASTIC_USER (required)
#   ELASTIC_USER             default: elastic
#   ES_CA_FILE, KIBANA_CA_FILE  CA certificates of the https endpoints (required for https URLs)
#   ASSETS_DIR               folder with requests.txt and the JSON bodies (default: this script's folder)
#   WAIT_TIMEOUT_SECONDS     give up after this long (default 900)
#   BACKOFF_INITIAL_SECONDS  first retry delay (default 2); doubles up to BACKOFF_MAX_SECONDS (default 30)
#
# requests.txt: one request per line, `<es|kibana> <METHOD> <path> [<body file in ASSETS_DIR>]`,
# sent in order; blank lines and lines starting with # are skipped.
#
# Exit status: 0 all installed; 1 a request was rejected or the cluster never became ready;
# 2 bad configuration (missing variable, file or malformed requests.txt).
set -euo pipefail

log() { printf '%s install-assets: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
fail() {
    log "error: $*" >&2
    exit 1
}
config_error() {
    log "configuration error: $*" >&2
    exit 2
}

require_var() {
    local name=$1 hint=$2
    if [[ -z "${!name:-}" ]]; then config_error "$name is not set: $hint"; fi
}

require_uint() {
    local name=$1
    if [[ ! "${!name}" =~ ^[0-9]+$ ]]; then config_error "$name='${!name}' is not a whole number of seconds"; fi
}

ELASTIC_USER=${ELASTIC_USER:-elastic}
ASSETS_DIR=${ASSETS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
WAIT_TIMEOUT_SECONDS=${WAIT_TIMEOUT_SECONDS:-900}
BACKOFF_INITIAL_SECONDS=${BACKOFF_INITIAL_SECONDS:-2}
BACKOFF_MAX_SECONDS=${BACKOFF_MAX_SECONDS:-30}
require_uint WAIT_TIMEOUT_SECONDS
require_uint BACKOFF_INITIAL_SECONDS
require_uint BACKOFF_MAX_SECONDS

require_var ES_URL "set it to the Elasticsearch HTTP endpoint, e.g. https://<es-name>-es-http.<namespace>.svc:9200"
require_var ELASTIC_PASSWORD_FILE "mount the <es-name>-es-elastic-user Secret and point this at its 'elastic' key"
if [[ ! -r "$ELASTIC_PASSWORD_FILE" ]]; then
    config_error "ELASTIC_PASSWORD_FILE=$ELASTIC_PASSWORD_FILE is not a readable file (is the <es-name>-es-elastic-user Secret mounted?)"
fi
REQUESTS_FILE="$ASSETS_DIR/requests.txt"
if [[ ! -r "$REQUESTS_FILE" ]]; then config_error "$REQUESTS_FILE not found: set ASSETS_DIR to the folder holding requests.txt"; fi

password=$(<"$ELASTIC_PASSWORD_FILE")
if [[ -z "$password" ]]; then config_error "ELASTIC_PASSWORD_FILE=$ELASTIC_PASSWORD_FILE is empty"; fi
# curl reads the credentials from a config on stdin (-K -), so they never appear in a process's
# arguments or environment. Inside its double quotes, backslash and quote are escaped.
escaped=${password//\\/\\\\}
escaped=${escaped//\"/\\\"}
CURL_AUTH_CONFIG="user = \"$ELASTIC_USER:$escaped\""
unset password escaped

RESPONSE_FILE=$(mktemp)
trap 'rm -f "$RESPONSE_FILE"' EXIT

# base URL and CA for a target
target_url() {
    case $1 in
        es) printf '%s' "${ES_URL%/}" ;;
        kibana) printf '%s' "${KIBANA_URL%/}" ;;
    esac
}
target_ca() {
    case $1 in
        es) printf '%s' "${ES_CA_FILE:-}" ;;
        kibana) printf '%s' "${KIBANA_CA_FILE:-}" ;;
    esac
}

check_target() {
    local target=$1 url ca var
    case $target in
        es) var=ES ;;
        kibana) var=KIBANA ;;
        *) config_error "unknown target '$target' in $REQUESTS_FILE (use es or kibana)" ;;
    esac
    require_var "${var}_URL" "set it to the $target HTTP endpoint"
    url=$(target_url "$target")
    ca=$(target_ca "$target")
    if [[ "$url" == https://* ]]; then
        if [[ -z "$ca" ]]; then config_error "${var}_CA_FILE is not set: $target is https, mount its CA (<name>-*-http-certs-public, key ca.crt)"; fi
        if [[ ! -r "$ca" ]]; then config_error "${var}_CA_FILE=$ca is not a readable file"; fi
    fi
}

HTTP_STATUS=000
# One HTTP exchange; sets HTTP_STATUS (000 when no HTTP answer came back) and fills RESPONSE_FILE.
send() {
    local target=$1 method=$2 path=$3 body=${4:-}
    local url ca
    url=$(target_url "$target")$path
    ca=$(target_ca "$target")
    local args=(--silent --show-error --connect-timeout 5 --max-time 30 --output "$RESPONSE_FILE"
        --write-out '%{http_code}' --request "$method" --header 'Content-Type: application/json' -K -)
    if [[ -n "$ca" ]]; then args+=(--cacert "$ca"); fi
    if [[ "$target" == kibana ]]; then args+=(--header 'kbn-xsrf: true'); fi
    if [[ -n "$body" ]]; then args+=(--data-binary "@$body"); fi
    : >"$RESPONSE_FILE"
    if ! HTTP_STATUS=$(curl "${args[@]}" "$url" <<<"$CURL_AUTH_CONFIG" 2>"$RESPONSE_FILE.err"); then
        HTTP_STATUS=000
        cat "$RESPONSE_FILE.err" >>"$RESPONSE_FILE"
    fi
    rm -f "$RESPONSE_FILE.err"
}

DEADLINE=$((SECONDS + WAIT_TIMEOUT_SECONDS))

# Sends a request until it succeeds. Retries what may heal by waiting (no answer, 408, 429, 5xx);
# fails at once on any other status, since resending the same body cannot change the answer.
until_ok() {
    local what=$1
    shift
    local delay=$BACKOFF_INITIAL_SECONDS attempt=1
    while true; do
        send "$@"
        case $HTTP_STATUS in
            2??)
                log "ok: $what ($HTTP_STATUS)"
                return 0
                ;;
            000 | 408 | 429 | 5??) ;;
            *) fail "$what was rejected with HTTP $HTTP_STATUS: $(head -c 2000 "$RESPONSE_FILE")" ;;
        esac
        if ((SECONDS + delay > DEADLINE)); then
            fail "gave up on $what after ${WAIT_TIMEOUT_SECONDS}s and $attempt attempts; last answer HTTP $HTTP_STATUS: $(head -c 500 "$RESPONSE_FILE")"
        fi
        log "waiting: $what answered HTTP $HTTP_STATUS (attempt $attempt); retrying in ${delay}s"
        sleep "$delay"
        attempt=$((attempt + 1))
        delay=$((delay * 2))
        if ((delay > BACKOFF_MAX_SECONDS)); then delay=$BACKOFF_MAX_SECONDS; fi
    done
}

# Read and check every line before sending anything: a typo must not leave a half-installed set.
targets=()
methods=()
paths=()
bodies=()
line_no=0
while IFS= read -r line || [[ -n "$line" ]]; do
    line_no=$((line_no + 1))
    [[ -z "${line//[[:space:]]/}" || "$line" == \#* ]] && continue
    read -r target method path body extra <<<"$line"
    if [[ -n "${extra:-}" || -z "${path:-}" ]]; then config_error "$REQUESTS_FILE:$line_no: expected '<es|kibana> <METHOD> <path> [<body file>]', got: $line"; fi
    if [[ ! "$method" =~ ^(GET|PUT|POST)$ ]]; then config_error "$REQUESTS_FILE:$line_no: method '$method' is not GET, PUT or POST"; fi
    if [[ "$path" != /* ]]; then config_error "$REQUESTS_FILE:$line_no: path '$path' must start with /"; fi
    check_target "$target"
    if [[ -n "${body:-}" ]]; then
        if [[ "$body" == */* || ! -r "$ASSETS_DIR/$body" ]]; then config_error "$REQUESTS_FILE:$line_no: body file '$body' not found in $ASSETS_DIR"; fi
        body="$ASSETS_DIR/$body"
    fi
    targets+=("$target")
    methods+=("$method")
    paths+=("$path")
    bodies+=("${body:-}")
done <"$REQUESTS_FILE"
if ((${#targets[@]} == 0)); then config_error "$REQUESTS_FILE has no requests"; fi

until_ok "Elasticsearch cluster health (yellow or better)" es GET "/_cluster/health?wait_for_status=yellow&timeout=10s"
for t in "${targets[@]}"; do
    if [[ "$t" == kibana ]]; then
        until_ok "Kibana status" kibana GET /api/status
        break
    fi
done

for i in "${!targets[@]}"; do
    until_ok "${methods[$i]} ${paths[$i]}" "${targets[$i]}" "${methods[$i]}" "${paths[$i]}" "${bodies[$i]}"
done
log "installed ${#targets[@]} assets"
