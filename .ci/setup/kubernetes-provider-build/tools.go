//go:build tools

// Pins the provider's packages into this module's build list; .ci/setup/50-engine-tools.sh copies
// cmd/pulumi-resource-kubernetes out of the module, generates its embedded schema and builds it.
package tools

import _ "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
