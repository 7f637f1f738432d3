// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"pagesim/kernel"
)

// fakeClock is a host clock that moves only when told to, or by step at
// each reading.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time {
	t := c.t
	c.t = c.t.Add(c.step)
	return t
}

// TestProgressLine draws the line with a fake terminal and clock: nothing
// in the first second, then at most one redraw per interval, in place,
// padded over a longer line; finish erases it.
func TestProgressLine(t *testing.T) {
	cfg := kernel.DefaultConfig()
	cfg.MemBytes = 128 << 20
	m, err := kernel.Boot(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	clock := &fakeClock{t: time.Unix(1000, 0)}
	var w bytes.Buffer
	p := &progress{w: &w, now: clock.now, start: clock.now(), total: 1200}
	p.attach(m)

	clock.t = clock.t.Add(999 * time.Millisecond)
	p.tick()
	if w.Len() != 0 {
		t.Fatalf("drawn before a second: %q", w.String())
	}
	clock.t = clock.t.Add(time.Millisecond)
	p.callDone(1100) // also ticks
	want := "\rpagesim: virtual time 0.000000s, calls 1100/1200, tasks 0"
	if w.String() != want {
		t.Fatalf("first draw %q, want %q", w.String(), want)
	}
	clock.t = clock.t.Add(progressInterval - time.Millisecond)
	p.tick()
	if w.String() != want {
		t.Fatalf("redrawn within the interval: %q", w.String())
	}
	// The machine moves on: a task sleeps, time passes, the line is
	// shorter.
	m.Spawn("t", func(p *kernel.Process) { p.Sleep(10e9) })
	if res := m.Run(1500e6); res.Failed() {
		t.Fatal(res)
	}
	p.done = 7
	clock.t = clock.t.Add(time.Millisecond)
	w.Reset()
	p.tick()
	want = "\rpagesim: virtual time 1.500000s, calls 7/1200, tasks 1   "
	if w.String() != want {
		t.Fatalf("redraw %q, want %q", w.String(), want)
	}
	w.Reset()
	width := p.width
	p.finish()
	if want := "\r" + strings.Repeat(" ", width) + "\r"; w.String() != want {
		t.Fatalf("finish wrote %q, want %q", w.String(), want)
	}
	w.Reset()
	p.finish()
	if w.Len() != 0 {
		t.Errorf("second finish wrote %q", w.String())
	}
}

// TestProgressOnlyOnTerminal: no line when stderr is not a terminal (a
// buffer, a file).
func TestProgressOnlyOnTerminal(t *testing.T) {
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "err"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Error("a regular file is a terminal")
	}
	if newProgress(f, 3) != nil {
		t.Error("progress on a regular file")
	}
}

// TestProgressRun runs programs and an example as if stderr were a
// terminal and each reading of the host clock took 400ms: the line shows
// up on stderr, is erased before anything else is written there, and
// stdout is what it is without it.
func TestProgressRun(t *testing.T) {
	defer func(f func(io.Writer) bool, n func() time.Time) { isTerminal, hostNow = f, n }(isTerminal, hostNow)
	clock := &fakeClock{t: time.Unix(1000, 0), step: 400 * time.Millisecond}
	hostNow = clock.now
	line := regexp.MustCompile(`\rpagesim: virtual time \d+\.\d{6}s(, calls \d+/(\d+))?, tasks \d+ *`)
	for _, args := range [][]string{
		{"run", "--no-dmesg", "../../prog/testdata/fork-cow.prog"},
		{"run", "--no-dmesg", "--check=every", seedProgram(t)},
		{"run", "--no-dmesg", "--example", "writeback"},
	} {
		isTerminal = func(io.Writer) bool { return false }
		code0, out0, err0 := run(args...)
		isTerminal = func(io.Writer) bool { return true }
		code, out, errs := run(args...)
		if code != code0 || out != out0 {
			t.Errorf("%v: exit %d, stdout differs from the run without a terminal (exit %d)", args, code, code0)
		}
		draws := line.FindAllStringSubmatch(errs, -1)
		if len(draws) == 0 {
			t.Errorf("%v: no progress line in %q", args, errs)
			continue
		}
		// The line is erased, and then stderr is what it was.
		i := strings.LastIndex(errs, "\r")
		j := strings.LastIndex(errs[:i], "\r")
		if blank := errs[j+1 : i]; strings.TrimLeft(blank, " ") != "" || len(blank) == 0 {
			t.Errorf("%v: the line is not erased: %q", args, errs)
		}
		if errs[i+1:] != err0 {
			t.Errorf("%v: stderr after the line %q, want %q", args, errs[i+1:], err0)
		}
		if strings.Contains(args[len(args)-2], "example") {
			if draws[0][1] != "" {
				t.Errorf("%v: calls shown without a program: %q", args, draws[0][0])
			}
		} else if draws[0][2] == "" || draws[0][2] == "0" {
			t.Errorf("%v: no calls total: %q", args, draws[0][0])
		}
	}
}

// seedProgram writes the founding case's program from check-every.txtar
// to a file, and returns its path.
func seedProgram(t *testing.T) string {
	a, err := txtar.ParseFile("testdata/script/check-every.txtar")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range a.Files {
		if f.Name == "seed.prog" {
			path := filepath.Join(t.TempDir(), f.Name)
			if err := os.WriteFile(path, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}
	}
	t.Fatal("no seed.prog in check-every.txtar")
	return ""
}
