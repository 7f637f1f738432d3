// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"bytes"
	"strings"
	"testing"
)

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := realMain(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestREADMECommand runs the README's main command and checks that it shows
// what it promises: the boot log and the /proc files of the example.
func TestREADMECommand(t *testing.T) {
	code, out, errs := run("run", "--example", "writeback")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Linux version 3.16.0-pagesim", "==> /proc/meminfo <==", "Dirty:                 0 kB", "==> /proc/vmstat <==", "nr_written "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	code2, out2, _ := run("run", "--example", "writeback")
	if code2 != 0 || out2 != out {
		t.Error("two runs of the same example differ")
	}
}

func TestExitStatus(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string // in stdout or stderr
	}{
		{[]string{}, 2, "Usage:"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"version"}, 0, "pagesim 0.1.0"},
		{[]string{"examples"}, 0, "fragment"},
		{[]string{"kernels"}, 0, "v3.16"},
		{[]string{"run", "--mem", "12X"}, 2, "bad size"},
		{[]string{"run", "--mem", "1M"}, 2, "below the minimum"},
		{[]string{"run", "--cpus", "0"}, 2, "cpus"},
		{[]string{"run", "--proc", "/proc/cpuinfo"}, 2, "unknown file"},
		{[]string{"run", "--example", "nope"}, 2, "unknown example"},
		{[]string{"run", "--kernel", "v2.6"}, 2, "unknown kernel"},
		{[]string{"run", "--example", "double-free"}, 1, "kernel BUG at include/linux/mm.h:321!"},
		{[]string{"run", "--mem", "2G", "--nodes", "2", "--cpus", "4", "--proc", "/proc/zoneinfo", "--idle", "3s"}, 0, "Node 1, zone    DMA32"},
	}
	for _, tc := range cases {
		code, out, errs := run(tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("pagesim %v: exit %d (want %d), output lacks %q?\nstdout: %.300s\nstderr: %.300s", tc.args, code, tc.code, tc.want, out, errs)
		}
	}
}
