package hypothesisfile

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Reloader holds the hypotheses of a file (RELIABILITY_HYPOTHESES_FILE),
// re-read when the file changes (a ConfigMap update, say). A change that
// does not validate keeps the last valid set, logs why and turns
// kube_reliability_hypotheses_file_valid to 0 (Current says it is
// not valid).
type Reloader struct {
	Path     string
	Known    Families
	Reserved []string
	Logger   *slog.Logger

	mu      sync.Mutex
	list    []Hypothesis
	valid   bool
	modTime time.Time
	size    int64
	// lastErr is logged once per distinct error.
	lastErr string
}

// Load reads the file for the first time: an error means the exporter
// cannot start.
func (u *Reloader) Load() error {
	st, err := os.Stat(u.Path)
	if err != nil {
		return err
	}
	list, err := Load(u.Path, u.Known, u.Reserved)
	if err != nil {
		return err
	}
	u.list, u.valid, u.modTime, u.size = list, true, st.ModTime(), st.Size()
	u.Logger.Info("hypotheses file loaded", "path", u.Path, "hypotheses", len(list))
	return nil
}

// Current re-reads the file if it changed since the last read and returns
// the hypotheses in force and whether the file as it is now is valid.
func (u *Reloader) Current() ([]Hypothesis, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	st, err := os.Stat(u.Path)
	switch {
	case err != nil:
		u.fail(fmt.Errorf("hypotheses file: %w", err))
	case !st.ModTime().Equal(u.modTime) || st.Size() != u.size:
		u.modTime, u.size = st.ModTime(), st.Size()
		list, err := Load(u.Path, u.Known, u.Reserved)
		if err != nil {
			u.fail(err)
			break
		}
		u.list, u.valid, u.lastErr = list, true, ""
		u.Logger.Info("hypotheses file reloaded", "path", u.Path, "hypotheses", len(list))
	}
	return u.list, u.valid
}

func (u *Reloader) fail(err error) {
	u.valid = false
	if err.Error() != u.lastErr {
		u.lastErr = err.Error()
		u.Logger.Error("hypotheses file not reloaded: keeping the last valid one", "err", err, "hypotheses", len(u.list))
	}
}
