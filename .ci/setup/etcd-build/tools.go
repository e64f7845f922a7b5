//go:build tools

// Pins the etcd server command (package main at the root of go.etcd.io/etcd/server/v3).
package tools

import _ "go.etcd.io/etcd/server/v3"
