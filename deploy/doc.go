// Package deploy holds the install manifests (kustomize/base) and the test
// that keeps them valid and least-privileged.
package deploy
