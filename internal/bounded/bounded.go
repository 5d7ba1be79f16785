package bounded

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrTooLarge: the input holds more than the limit.
var ErrTooLarge = errors.New("larger than")

// Read reads r up to limit bytes. Past the limit it returns the first
// limit bytes and an error wrapping ErrTooLarge that names the limit; a
// read error is returned as it is, with what was read.
func Read(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return data, err
	}
	if int64(len(data)) > limit {
		return data[:limit], fmt.Errorf("%w %d bytes", ErrTooLarge, limit)
	}
	return data, nil
}

// ReadFile is Read on the file at path.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, limit)
}

// Truncated accepts a read cut at the limit: ErrTooLarge becomes nil.
func Truncated(data []byte, err error) ([]byte, error) {
	if errors.Is(err, ErrTooLarge) {
		return data, nil
	}
	return data, err
}
