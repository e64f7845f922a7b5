//go:build tools

// Pins the control-plane commands into this module's build list; .ci/setup/30-kube-tools.sh
// builds each with `go build k8s.io/kubernetes/cmd/<name>` plus the version ldflags.
// kube-controller-manager and kube-scheduler run only in the e2e cluster (tests/e2e); kubectl is
// what scripts/deploy.sh status calls there.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
