//go:build tools

// Pins the kube-apiserver command into this module's build list; .ci/setup/30-kube-tools.sh
// builds it with `go build k8s.io/kubernetes/cmd/kube-apiserver` plus the version ldflags.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
