package testenv

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Partition is a TCP proxy on loopback in front of one server, which a
// test can cut off as a network partition does: while partitioned, no
// byte passes either way on the connections open (they stall, as when
// packets are dropped, and resume when it heals, as TCP's retransmissions
// deliver) and new connections get no answer.
type Partition struct {
	// Addr is the proxy's host:port on 127.0.0.1.
	Addr string

	mu     sync.Mutex
	cut    bool
	healed *sync.Cond
}

// StartPartition proxies to target (host:port) until the test ends.
func StartPartition(t testing.TB, target string) *Partition {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Partition{Addr: ln.Addr().String()}
	p.healed = sync.NewCond(&p.mu)
	var conns sync.WaitGroup
	var mu sync.Mutex
	var open []net.Conn
	closed := false
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			if closed {
				mu.Unlock()
				c.Close()
				return
			}
			open = append(open, c)
			mu.Unlock()
			conns.Go(func() {
				defer c.Close()
				p.wait()
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				mu.Lock()
				open = append(open, up)
				mu.Unlock()
				defer up.Close()
				done := make(chan struct{}, 2)
				go func() { p.copy(up, c); done <- struct{}{} }()
				go func() { p.copy(c, up); done <- struct{}{} }()
				<-done
			})
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.Heal()
		mu.Lock()
		closed = true
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		conns.Wait()
	})
	return p
}

// Cut partitions the server off.
func (p *Partition) Cut() {
	p.mu.Lock()
	p.cut = true
	p.mu.Unlock()
}

// Heal ends the partition: what was held passes.
func (p *Partition) Heal() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
	p.healed.Broadcast()
}

func (p *Partition) wait() {
	p.mu.Lock()
	for p.cut {
		p.healed.Wait()
	}
	p.mu.Unlock()
}

// copy forwards src to dst, holding each chunk while partitioned.
func (p *Partition) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.wait()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}
