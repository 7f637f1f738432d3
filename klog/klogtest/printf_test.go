// SPDX-License-Identifier: GPL-2.0-only

package klogtest

import (
	"fmt"
	"testing"
)

func TestPrintf(t *testing.T) {
	for _, c := range []struct {
		line, format string
		want         string // fmt.Sprint of the values, "" for no match
	}{
		{"[    3]     0     3     4096", "[%5d] %5d %5d %8lu", "[3 0 3 4096]"},
		{"[ 3]     0", "[%5d] %5d", ""}, // width not kept
		{"free:416kB min:280kB", "free:%lukB min:%lukB", "[416 280]"},
		{"free:416 kB", "free:%lukB", ""},
		{"gfp_mask=0x280da, order=0", "gfp_mask=0x%x, order=%d", "[164058 0]"},
		{" 0000000000000000 ffff880022755740", " %016lx %016lx", "[0 18446612132892333888]"},
		{"grow cpuset=/ mems_allowed=0-1", "%s cpuset=/ mems_allowed=%s", "[grow 0-1]"},
		{"100%", "%d%%", "[100]"},
		{"-17 big", "%5hd %s", ""},
		{"  -17 big", "%5hd %s", "[-17 big]"},
	} {
		vals, err := Printf(c.line, c.format)
		got := ""
		if err == nil {
			got = fmt.Sprint(vals)
		}
		if got != c.want {
			t.Errorf("Printf(%q, %q) = %q (%v), want %q", c.line, c.format, got, err, c.want)
		}
	}
}
