package testenv

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kubelet plays every node's kubelet for the scheduler tests: pods the
// scheduler bound are reported Running and Ready with a loopback IP, and
// pods being deleted are finished (grace period 0), as a kubelet confirms
// a termination. It keeps no heartbeats: run the controller manager
// without its node lifecycle controller (StartControllerManager does).
type Kubelet struct {
	env    *Env
	stop   context.CancelFunc
	done   chan struct{}
	nextIP atomic.Uint32

	mu      sync.Mutex
	lastErr error
}

// StartKubelet starts the stand-in, polling every 200 ms, until the test
// ends.
func (e *Env) StartKubelet() *Kubelet {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	k := &Kubelet{env: e, stop: cancel, done: make(chan struct{})}
	go k.run(ctx)
	e.t.Cleanup(k.Stop)
	return k
}

// Stop ends the loop and waits for it.
func (k *Kubelet) Stop() {
	k.stop()
	<-k.done
}

func (k *Kubelet) run(ctx context.Context) {
	defer close(k.done)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		err := k.sync(ctx)
		k.mu.Lock()
		k.lastErr = err
		k.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sync does one pass over every pod.
func (k *Kubelet) sync(ctx context.Context) error {
	pods, err := k.env.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	zero := int64(0)
	for i := range pods.Items {
		p := &pods.Items[i]
		switch {
		case p.DeletionTimestamp != nil:
			err := k.env.Client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("finish pod %s/%s: %w", p.Namespace, p.Name, err)
			}
		case p.Spec.NodeName != "" && !RunningReady(p):
			if err := k.start(ctx, p); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return fmt.Errorf("start pod %s/%s: %w", p.Namespace, p.Name, err)
			}
		}
	}
	return nil
}

func (k *Kubelet) start(ctx context.Context, p *corev1.Pod) error {
	n := k.nextIP.Add(1)
	ip := fmt.Sprintf("127.%d.%d.%d", 1+(n>>16)&0x7f, (n>>8)&0xff, n&0xff)
	now := metav1.Now()
	p.Status.Phase = corev1.PodRunning
	p.Status.StartTime = &now
	p.Status.PodIP, p.Status.PodIPs = ip, []corev1.PodIP{{IP: ip}}
	p.Status.HostIP, p.Status.HostIPs = "127.0.0.1", []corev1.HostIP{{IP: "127.0.0.1"}}
	p.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
		{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now},
	}
	p.Status.ContainerStatuses = nil
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, Ready: true, Started: new(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
	_, err := k.env.Client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	return err
}

// Err is the last pass's error, nil when it went through.
func (k *Kubelet) Err() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lastErr
}

// RunningReady: the pod is Running and its Ready condition true.
func RunningReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
