//go:build tools

// Pins the pulumi command into this module's build list; .ci/setup/50-engine-tools.sh builds it
// with `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` and the version ldflag.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
