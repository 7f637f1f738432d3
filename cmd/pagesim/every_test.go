// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestEveryCheckWindow: when calls before the failing check were not
// checked (another task was in the kernel), the report lists them, and
// the last clean check.
func TestEveryCheckWindow(t *testing.T) {
	e := &everyCheck{
		lastClean: &callRef{Line: 7, Task: "a", PID: 3, Trace: "[    0.000000] a[3]: r0 = mmap(1M, rw) = 0x7ffff7eff000"},
		broken: &callRef{Line: 12, Task: "b", PID: 4, Trace: "[    0.002000] b[4]: sleep(2ms) = 0", Unchecked: []*callRef{
			{Line: 8, Task: "a", PID: 3, Trace: "[    0.001000] a[3]: compact_memory() = 0"},
			{Line: 11, Task: "b", PID: 4, Trace: "[    0.001500] b[4]: sleep(1ms) = 0"},
		}},
	}
	var w bytes.Buffer
	e.report("x.prog", &w)
	want := `pagesim: --check=every: invariants broken after the call at x.prog:12 (task b, pid 4):
  [    0.002000] b[4]: sleep(2ms) = 0
or after one of the 2 calls before it, unchecked (they returned while another task was in the kernel):
  x.prog:8: [    0.001000] a[3]: compact_memory() = 0
  x.prog:11: [    0.001500] b[4]: sleep(1ms) = 0
the last clean check was after x.prog:7: [    0.000000] a[3]: r0 = mmap(1M, rw) = 0x7ffff7eff000
pagesim: the run stopped there
`
	if w.String() != want {
		t.Errorf("got\n%s\nwant\n%s", w.String(), want)
	}

	e.lastClean = nil
	e.broken.Unchecked = e.broken.Unchecked[:1]
	w.Reset()
	e.report("x.prog", &w)
	for _, s := range []string{"or after the call before it, unchecked (it returned", "no check ran before\n"} {
		if !strings.Contains(w.String(), s) {
			t.Errorf("one unchecked call, no clean check: %q lacks %q", w.String(), s)
		}
	}

	// A long stretch: the last maxUncheckedShown calls are listed.
	e.broken.Unchecked = nil
	for i := 0; i < maxUncheckedShown+5; i++ {
		e.broken.Unchecked = append(e.broken.Unchecked, &callRef{Line: 100 + i, Trace: fmt.Sprintf("call %d", i)})
	}
	w.Reset()
	e.report("x.prog", &w)
	if s := w.String(); !strings.Contains(s, "  ... 5 more\n  x.prog:105: call 5\n") || !strings.Contains(s, "x.prog:124: call 24\n") || strings.Contains(s, "call 4\n") {
		t.Errorf("long stretch:\n%s", s)
	}
}

// TestEveryCheckAtEnd: a violation only the end-of-run check finds (no
// call returned on a quiet machine after it) is reported with the calls
// left unchecked since the last clean check; a clean end reports nothing.
func TestEveryCheckAtEnd(t *testing.T) {
	e := &everyCheck{
		lastClean: &callRef{Line: 7, Task: "a", PID: 3, Trace: "[    0.000000] a[3]: r0 = mmap(1M, rw) = 0x7ffff7eff000"},
		unchecked: []*callRef{{Line: 8, Task: "a", PID: 3, Trace: "[    0.001000] a[3]: compact_memory() = 0"}},
	}
	e.endOfRun(nil)
	if e.broken != nil {
		t.Fatal("a clean end-of-run check reported a violation")
	}
	e.endOfRun([]string{"DMA NR_SHMEM -1 but page caches hold 0 swap-backed pages"})
	var w bytes.Buffer
	e.report("x.prog", &w)
	want := `pagesim: --check=every: invariants broken at the end of the run, found by no check after a call
from one of the 1 calls since the last clean check, unchecked (they returned while another task was in the kernel):
  x.prog:8: [    0.001000] a[3]: compact_memory() = 0
the last clean check was after x.prog:7: [    0.000000] a[3]: r0 = mmap(1M, rw) = 0x7ffff7eff000
`
	if w.String() != want {
		t.Errorf("got\n%s\nwant\n%s", w.String(), want)
	}
	js, err := json.Marshal(e.stats())
	if err != nil {
		t.Fatal(err)
	}
	if got := string(js); !strings.Contains(got, `"broken_at_end":true`) || !strings.Contains(got, `"unchecked_calls_at_end":[{"line":8,`) || strings.Contains(got, "broken_after") {
		t.Errorf("JSON %s: want broken_at_end, the unchecked call, and no broken_after", got)
	}
}
