// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"fmt"
	"strings"
	"testing"
)

// TestLimits checks the bounds a program is held to before it runs: the
// memory cap (adjustable), the number of tasks and the number of calls,
// each reported at the line that crosses it.
func TestLimits(t *testing.T) {
	validate := func(src string) error {
		p, err := Parse("t.prog", []byte(src))
		if err != nil {
			return err
		}
		return Validate(p)
	}
	if err := validate("mem 128G\na: sleep(1ms)\n"); err == nil || !strings.Contains(err.Error(), "above the cap of 64G") {
		t.Errorf("mem 128G: %v", err)
	}
	old := MemCap
	MemCap = 256 << 30
	if err := validate("mem 128G\na: sleep(1ms)\n"); err != nil {
		t.Errorf("mem 128G under a 256G cap: %v", err)
	}
	MemCap = old

	var b strings.Builder
	for i := 0; i <= MaxTasks; i++ {
		fmt.Fprintf(&b, "t%d: sleep(1ms)\n", i)
	}
	if err := validate(b.String()); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("t.prog:%d:1: a program has at most %d tasks", MaxTasks+1, MaxTasks)) {
		t.Errorf("%d tasks: %v", MaxTasks+1, err)
	}

	b.Reset()
	for i := 0; i <= MaxCalls; i++ {
		b.WriteString("a: sleep(1ms)\n")
	}
	if err := validate(b.String()); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("t.prog:%d:1: a program has at most %d calls", MaxCalls+1, MaxCalls)) {
		t.Errorf("%d calls: %v", MaxCalls+1, err)
	}
}
