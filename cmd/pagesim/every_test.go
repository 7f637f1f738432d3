// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"bytes"
	"testing"
)

// TestEveryCheckWindow: when calls before the failing check were not
// checked (another task was in the kernel), the report gives the window:
// those calls, and the last clean check.
func TestEveryCheckWindow(t *testing.T) {
	e := &everyCheck{
		lastClean: &callRef{Line: 7, Task: "a", PID: 3, Trace: "[    0.000000] a[3]: r0 = mmap(1M, rw) = 0x7ffff7eff000"},
		broken:    &callRef{Line: 12, Task: "b", PID: 4, Trace: "[    0.002000] b[4]: sleep(2ms) = 0", Unchecked: 2},
	}
	var w bytes.Buffer
	e.report("x.prog", &w)
	want := `pagesim: --check=every: invariants broken after the call at x.prog:12 (task b, pid 4):
  [    0.002000] b[4]: sleep(2ms) = 0
  (or one of the 2 calls before it, which returned while another task was in the kernel;
  the last clean check was after line 7: [    0.000000] a[3]: r0 = mmap(1M, rw) = 0x7ffff7eff000)
pagesim: the run stopped there
`
	if w.String() != want {
		t.Errorf("got\n%s\nwant\n%s", w.String(), want)
	}
	e.lastClean = nil
	w.Reset()
	e.report("x.prog", &w)
	if !bytes.Contains(w.Bytes(), []byte("no check ran before it")) {
		t.Errorf("without a clean check:\n%s", w.String())
	}
}
