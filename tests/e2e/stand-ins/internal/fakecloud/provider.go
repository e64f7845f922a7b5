// Package fakecloud is the engine side of the e2e stand-in providers (aws, random): a
// ResourceProvider gRPC server that keeps every resource in Pulumi's state only. Create echoes
// the checked inputs and adds the outputs the real cloud would compute (ids, ARNs, random
// values); Diff compares inputs and replaces where the real provider would; Delete forgets.
// Nothing is sent anywhere. The e2e harness installs these plugins into a private PULUMI_HOME;
// no real stack can load them.
package fakecloud

import (
	"context"
	cryptorand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Env is what a resource kind may read when it computes its outputs.
type Env struct {
	// Name is the resource's name in the program (the last part of its URN).
	Name string
	// Config holds the provider's configuration (for example "region").
	Config map[string]string
	// Rand is seeded from the engine's per-resource random seed, so a value is stable for one
	// resource and differs between resources.
	Rand *rand.Rand
}

// Kind describes one resource type of a stand-in provider.
type Kind struct {
	// Autoname names the input that the real provider fills with <name>-<random suffix> when the
	// program leaves it empty (empty: none).
	Autoname string
	// ReplaceOn lists the inputs whose change makes the real provider replace the resource.
	// "*" means every input.
	ReplaceOn []string
	// Create returns the resource id and the outputs the real service adds to the inputs.
	Create func(env Env, inputs resource.PropertyMap) (string, resource.PropertyMap)
}

// Function is an invoke (data source) of a stand-in provider.
type Function func(config map[string]string, args resource.PropertyMap) resource.PropertyMap

// Provider serves one stand-in package.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	Package   string
	Version   string
	Kinds     map[string]Kind
	Functions map[string]Function

	config map[string]string
}

var keep = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, keep)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, keep)
}

func (p *Provider) kind(urn string) (string, Kind, error) {
	u := resource.URN(urn)
	typ := string(u.Type())
	k, ok := p.Kinds[typ]
	if !ok {
		return typ, Kind{}, status.Errorf(codes.Unimplemented,
			"the %s stand-in provider does not model %s; add it to tests/e2e/stand-ins (%s)", p.Package, typ, urn)
	}
	return typ, k, nil
}

func (p *Provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: p.Version}, nil
}

func (p *Provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":%q,"version":%q}`, p.Package, p.Version)}, nil
}

func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *Provider) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return p.diff(req, Kind{})
}

func (p *Provider) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	p.config = map[string]string{}
	for k, v := range req.GetVariables() {
		// Variables arrive as "<package>:config:<key>".
		p.config[k[strings.LastIndex(k, ":")+1:]] = v
	}
	if args, err := unmarshal(req.GetArgs()); err == nil {
		for k, v := range args {
			if v.IsString() {
				p.config[string(k)] = v.StringValue()
			}
		}
	}
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	_, k, err := p.kind(req.GetUrn())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	if k.Autoname != "" {
		key := resource.PropertyKey(k.Autoname)
		if v, ok := news[key]; !ok || v.IsNull() {
			olds, _ := unmarshal(req.GetOlds())
			if old, ok := olds[key]; ok && !old.IsNull() {
				news[key] = old // keep the name chosen at creation
			} else {
				r := seeded(req.GetRandomSeed(), req.GetUrn())
				name := fmt.Sprintf("%s-%07x", resource.URN(req.GetUrn()).Name(), r.Uint32()&0xfffffff)
				news[key] = resource.NewStringProperty(name)
			}
		}
	}
	out, err := marshal(news)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: out}, nil
}

func (p *Provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	_, k, err := p.kind(req.GetUrn())
	if err != nil {
		return nil, err
	}
	return p.diff(req, k)
}

func (p *Provider) diff(req *pulumirpc.DiffRequest, k Kind) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	d := olds.Diff(news)
	if !d.AnyChanges() {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	var changed, replaces []string
	detailed := map[string]*pulumirpc.PropertyDiff{}
	for _, key := range d.Keys() {
		if !d.Changed(key) {
			continue
		}
		name := string(key)
		changed = append(changed, name)
		kind := pulumirpc.PropertyDiff_UPDATE
		switch {
		case d.Added(key):
			kind = pulumirpc.PropertyDiff_ADD
		case d.Deleted(key):
			kind = pulumirpc.PropertyDiff_DELETE
		}
		if replacesOn(k, name) {
			replaces = append(replaces, name)
			kind += 1 // ADD_REPLACE, DELETE_REPLACE, UPDATE_REPLACE follow ADD, DELETE, UPDATE
		}
		detailed[name] = &pulumirpc.PropertyDiff{Kind: kind, InputDiff: true}
	}
	sort.Strings(changed)
	sort.Strings(replaces)
	return &pulumirpc.DiffResponse{
		Changes:         pulumirpc.DiffResponse_DIFF_SOME,
		Diffs:           changed,
		Replaces:        replaces,
		DetailedDiff:    detailed,
		HasDetailedDiff: true,
	}, nil
}

func replacesOn(k Kind, key string) bool {
	for _, r := range k.ReplaceOn {
		if r == "*" || r == key {
			return true
		}
	}
	return false
}

func (p *Provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	_, k, err := p.kind(req.GetUrn())
	if err != nil {
		return nil, err
	}
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	env := Env{Name: resource.URN(req.GetUrn()).Name(), Config: p.config, Rand: fresh()}
	id, computed := k.Create(env, inputs)
	outs := inputs.Copy()
	for key, v := range computed {
		outs[key] = v
	}
	if req.GetPreview() {
		// A preview learns only what the inputs say: what the cloud computes (ids, ARNs, random
		// values) is unknown until the resource really exists, as with the real providers.
		for key := range computed {
			outs[key] = resource.MakeComputed(resource.NewStringProperty(""))
		}
		id = ""
	}
	st, err := marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: st}, nil
}

func (p *Provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	// The stand-in's "cloud" is the state itself: a refresh finds everything as it was left.
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *Provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	// Computed outputs (ids, ARNs) stay; inputs take their new values.
	outs := olds.Copy()
	for key, v := range news {
		outs[key] = v
	}
	oldInputs, _ := unmarshal(req.GetOldInputs())
	for key := range oldInputs {
		if _, still := news[key]; !still {
			delete(outs, key)
		}
	}
	st, err := marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: st}, nil
}

func (p *Provider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *Provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	f, ok := p.Functions[req.GetTok()]
	if !ok {
		return nil, status.Errorf(codes.Unimplemented,
			"the %s stand-in provider does not model the function %s; add it to tests/e2e/stand-ins", p.Package, req.GetTok())
	}
	args, err := unmarshal(req.GetArgs())
	if err != nil {
		return nil, err
	}
	st, err := marshal(f(p.config, args))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: st}, nil
}

func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// seeded returns a generator seeded from the engine's random seed, or from the URN when there is none.
func seeded(seed []byte, urn string) *rand.Rand {
	h := sha256.Sum256(append(append([]byte{}, seed...), urn...))
	var s [32]byte
	copy(s[:], h[:])
	return rand.New(rand.NewChaCha8(s))
}

// fresh returns a generator seeded from the operating system's random source (generated
// passwords must not be predictable, even from a stand-in).
func fresh() *rand.Rand {
	var s [32]byte
	if _, err := cryptorand.Read(s[:]); err != nil {
		panic(err)
	}
	return rand.New(rand.NewChaCha8(s))
}

// RandomHex returns n random bytes as lower-case hex.
func RandomHex(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return hex.EncodeToString(b)
}

// Serve runs the provider as a Pulumi plugin: prints its port for the engine, serves until told to stop.
func Serve(p *Provider) {
	args := os.Args[1:]
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		fmt.Println(p.Version)
		return
	}
	cancel := make(chan bool)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, p)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s stand-in provider: %v\n", p.Package, err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "%s stand-in provider stopped: %v\n", p.Package, err)
		os.Exit(1)
	}
}
