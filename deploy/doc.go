// Package deploy holds the install manifests (kustomize/base) and the test
// that keeps them valid and least-privileged.
//
// Manifests, the chart and their tests: never imported by another package.
package deploy
