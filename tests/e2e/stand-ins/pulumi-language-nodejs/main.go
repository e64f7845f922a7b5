// pulumi-language-nodejs, e2e stand-in: the Node.js language host the Pulumi CLI starts to run a
// program or a policy pack. The real host's Go module is not served by the module proxy here, so
// this stand-in implements the same gRPC service (LanguageRuntime) with the SDK's own helpers:
// Run starts `node node_modules/@pulumi/pulumi/cmd/run` with the engine's monitor address, the
// stack's config (PULUMI_CONFIG) and its secret keys, exactly the process the real host starts;
// RunPlugin starts `@pulumi/pulumi/cmd/run-policy-pack` for `--policy-pack`.
//
// What it does not do (so the e2e does not prove it): install dependencies (`pulumi install`),
// debugging, the synchronous-invoke pipes of old SDKs, bun, code generation, and the real host's
// program-dependency and version-compatibility checks.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version is set at build time to the version of the @pulumi/pulumi npm package.
var version = "0.0.0"

// Exit code of @pulumi/pulumi/cmd/run after it printed an actionable message itself.
const exitAfterUserMessage = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	cancel        context.CancelFunc
	ctx           context.Context
}

func main() {
	flag.String("tracing", "", "accepted for compatibility; ignored")
	runtime := flag.String("runtime", "nodejs", "only nodejs is supported")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	if *runtime != "nodejs" {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs (stand-in): unsupported runtime %q\n", *runtime)
		os.Exit(1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &host{ctx: ctx, cancel: cancel}
	if args := flag.Args(); len(args) > 0 {
		h.engineAddress = args[0]
	}

	stop := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs (stand-in): %v\n", err)
		os.Exit(1)
	}
	if h.engineAddress != "" {
		_ = rpcutil.Healthcheck(ctx, h.engineAddress, 5*time.Minute, func() { close(stop) })
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs (stand-in) stopped: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancel()
	return &emptypb.Empty{}, nil
}

type packageJSON struct {
	Name         string            `json:"name"`
	Version      string            `json:"version"`
	Dependencies map[string]string `json:"dependencies"`
	Pulumi       *struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (*packageJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var p packageJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &p, nil
}

// GetRequiredPackages lists the resource plugins of the program's direct dependencies (the
// packages whose package.json has "pulumi": {"resource": true}), at their package versions.
func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	// The project's package.json: in the program's folder or the nearest one above it (the
	// program's entry point may live in a subfolder of the project).
	dir := req.GetInfo().GetProgramDirectory()
	for {
		if _, err := os.Stat(filepath.Join(dir, "package.json")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			return nil, fmt.Errorf("no package.json at or above %s", req.GetInfo().GetProgramDirectory())
		}
		dir = filepath.Dir(dir)
	}
	program, err := readPackageJSON(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(program.Dependencies))
	for name := range program.Dependencies {
		names = append(names, name)
	}
	sort.Strings(names)
	var packages []*pulumirpc.PackageDependency
	for _, name := range names {
		dep, err := readPackageJSON(filepath.Join(dir, "node_modules", name, "package.json"))
		if err != nil {
			return nil, fmt.Errorf("dependency %s is not installed (run npm ci): %w", name, err)
		}
		if dep.Pulumi == nil || !dep.Pulumi.Resource {
			continue
		}
		pluginName := dep.Pulumi.Name
		if pluginName == "" {
			pluginName = strings.TrimPrefix(dep.Name, "@pulumi/")
		}
		pluginVersion := dep.Pulumi.Version
		if pluginVersion == "" {
			pluginVersion = dep.Version
		}
		packages = append(packages, &pulumirpc.PackageDependency{
			Kind: "resource", Name: pluginName, Version: "v" + strings.TrimPrefix(pluginVersion, "v"), Server: dep.Pulumi.Server,
		})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

func typescript(info *pulumirpc.ProgramInfo) bool {
	if v, ok := info.GetOptions().AsMap()["typescript"].(bool); ok {
		return v
	}
	return true
}

// nodeModule finds <module>.js in the nearest node_modules folder at or above dir, as Node's
// require.resolve does.
func nodeModule(dir, module string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		path := filepath.Join(d, "node_modules", filepath.FromSlash(module)+".js")
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%s not found in any node_modules at or above %s: run npm ci there", module, dir)
		}
	}
}

// Run starts the program the way the real host does and reports its result.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the PATH: " + err.Error()}, nil
	}
	run, err := nodeModule(info.GetProgramDirectory(), "@pulumi/pulumi/cmd/run/index")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args := []string{run}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", info.GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", info.GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	args = append(args, info.GetEntryPoint())
	args = append(args, req.GetArgs()...)

	// The SDK reads config keys in the "<namespace>:config:<name>" form.
	cfg := map[string]string{}
	for k, v := range req.GetConfig() {
		key, err := config.ParseKey(k)
		if err != nil {
			return &pulumirpc.RunResponse{Error: err.Error()}, nil
		}
		cfg[key.Namespace()+":config:"+key.Name()] = v
	}
	cfgJSON, _ := json.Marshal(cfg)
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, _ := json.Marshal(secretKeys)

	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	if typescript(info) {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if p, ok := info.GetOptions().AsMap()["tsconfig"].(string); ok && p != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+p)
	}

	cmdCtx, cmdCancel := context.WithCancel(h.ctx)
	defer cmdCancel()
	context.AfterFunc(ctx, cmdCancel)
	cmd := exec.CommandContext(cmdCtx, node, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if exit.ExitCode() == exitAfterUserMessage {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: "could not run the program: " + err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin runs a Node.js policy pack (kind "analyzer"): the stack's config is taken from the
// engine through the SDK's policy proxy, then @pulumi/pulumi/cmd/run-policy-pack serves the pack.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	if req.GetKind() != "analyzer" {
		return fmt.Errorf("pulumi-language-nodejs (stand-in) runs policy packs only, not %q plugins", req.GetKind())
	}
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	info := req.GetInfo()
	node, err := exec.LookPath("node")
	if err != nil {
		return err
	}
	runPolicyPack, err := nodeModule(info.GetProgramDirectory(), "@pulumi/pulumi/cmd/run-policy-pack/index")
	if err != nil {
		return err
	}
	env := req.GetEnv()
	if typescript(info) {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	proxy, stdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return fmt.Errorf("could not start the policy pack proxy: %w", err)
	}
	stack, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("could not get the stack configuration: %w", err)
	}
	if stack != nil {
		set := func(k, v string) {
			if v != "" {
				env = append(env, k+"="+v)
			}
		}
		set("PULUMI_NODEJS_ORGANIZATION", stack.GetOrganization())
		set("PULUMI_NODEJS_PROJECT", stack.GetProject())
		set("PULUMI_NODEJS_STACK", stack.GetStack())
		set("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(stack.GetDryRun()))
		if stack.GetConfig() != nil {
			b, err := json.Marshal(stack.GetConfig())
			if err != nil {
				return err
			}
			set("PULUMI_CONFIG", string(b))
		}
	}
	args := append([]string{runPolicyPack}, req.GetArgs()...)
	args = append(args, info.GetProgramDirectory())
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = info.GetProgramDirectory()
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	if err := proxy.Attach(ctx, cmd); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if ws, ok := exit.Sys().(syscall.WaitStatus); ok {
				return fmt.Errorf("policy pack exited with non-zero exit code: %d", ws.ExitStatus())
			}
		}
		return fmt.Errorf("could not attach to the policy pack: %w", err)
	}
	return closer.Close()
}
