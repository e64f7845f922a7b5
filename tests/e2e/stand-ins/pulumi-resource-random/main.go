// pulumi-resource-random, e2e stand-in: the random provider's RandomId and RandomPassword with
// real randomness from the operating system, kept only in Pulumi's state. The real provider's
// Go module is not served by the module proxy here, so the e2e cannot build it.
package main

import (
	"encoding/base64"
	"encoding/hex"
	"math/big"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"kline-ops/tests/e2e/stand-ins/internal/fakecloud"
)

// version is set at build time to the version of the @pulumi/random npm package.
var version = "0.0.0"

func intInput(in resource.PropertyMap, key string, def int) int {
	if v, ok := in[resource.PropertyKey(key)]; ok && v.IsNumber() {
		return int(v.NumberValue())
	}
	return def
}

func boolInput(in resource.PropertyMap, key string, def bool) bool {
	if v, ok := in[resource.PropertyKey(key)]; ok && v.IsBool() {
		return v.BoolValue()
	}
	return def
}

func main() {
	fakecloud.Serve(&fakecloud.Provider{
		Package: "random",
		Version: version,
		Kinds: map[string]fakecloud.Kind{
			"random:index/randomId:RandomId": {
				ReplaceOn: []string{"*"},
				Create: func(env fakecloud.Env, in resource.PropertyMap) (string, resource.PropertyMap) {
					raw, _ := hex.DecodeString(fakecloud.RandomHex(env.Rand, intInput(in, "byteLength", 8)))
					b64url := base64.RawURLEncoding.EncodeToString(raw)
					return b64url, resource.PropertyMap{
						"hex":    resource.NewStringProperty(hex.EncodeToString(raw)),
						"b64Url": resource.NewStringProperty(b64url),
						"b64Std": resource.NewStringProperty(base64.StdEncoding.EncodeToString(raw)),
						"dec":    resource.NewStringProperty(new(big.Int).SetBytes(raw).String()),
					}
				},
			},
			"random:index/randomPassword:RandomPassword": {
				ReplaceOn: []string{"*"},
				Create: func(env fakecloud.Env, in resource.PropertyMap) (string, resource.PropertyMap) {
					charset := ""
					if boolInput(in, "upper", true) {
						charset += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					}
					if boolInput(in, "lower", true) {
						charset += "abcdefghijklmnopqrstuvwxyz"
					}
					if boolInput(in, "numeric", true) {
						charset += "0123456789"
					}
					if boolInput(in, "special", true) {
						charset += "!@#$%&*()-_=+[]{}<>:?"
					}
					if charset == "" {
						charset = "abcdefghijklmnopqrstuvwxyz"
					}
					b := make([]byte, intInput(in, "length", 16))
					for i := range b {
						b[i] = charset[env.Rand.IntN(len(charset))]
					}
					return "none", resource.PropertyMap{
						"result":     resource.MakeSecret(resource.NewStringProperty(string(b))),
						"bcryptHash": resource.MakeSecret(resource.NewStringProperty("stand-in: no bcrypt hash")),
					}
				},
			},
		},
	})
}
