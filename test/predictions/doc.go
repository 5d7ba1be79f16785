// Package predictions is the prediction battery: generated clusters on a
// real control plane (kube-apiserver, kube-controller-manager,
// kube-scheduler and a kubelet stand-in), where the exporter's node-loss,
// zone-loss and drain predictions are taken before the experiment and
// compared, workload by workload, with what the scheduler and the
// controllers do once the experiment is run. Its tests are the package.
//
// Tests only: never imported by another package.
package predictions
