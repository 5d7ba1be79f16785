package kube

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes/fake"
)

// The analyses of one change share a snapshot, but a resource that
// finishes its first list of an empty collection sends no event: the
// shared snapshot must not keep calling it unsynced (an analysis reading
// it would refuse forever).
func TestSnapshotFollowsSyncWithoutEvents(t *testing.T) {
	t.Parallel()
	inf, err := New(fake.NewClientset(), 0, slog.New(slog.NewTextHandler(io.Discard, nil)), []string{"ingressclasses", "ingresses"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if !inf.WaitForSync(ctx) { // no core resource: ready at once
		t.Fatal("not ready")
	}
	before, err := inf.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(before.Unsynced, "ingresses") {
		t.Fatalf("before the informers run: unsynced %v", before.Unsynced)
	}
	defer inf.Start(ctx)()
	for _, w := range inf.watched {
		for !w.informer.HasSynced() && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
	after, err := inf.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(after.Unsynced, "ingresses") || slices.Contains(after.Unsynced, "ingressclasses") {
		t.Errorf("synced, yet the snapshot says unsynced %v", after.Unsynced)
	}
	if again, _ := inf.Snapshot(); again != after {
		t.Error("an unchanged cluster should hand out the same snapshot")
	}
}
