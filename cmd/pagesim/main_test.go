// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"bytes"
	"fmt"
	"os"
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

// TestRunProgram runs a program file: its calls are shown, the header
// sets the machine, an explicit flag overrides the header, and a malformed
// program is a usage error with file:line:col.
func TestRunProgram(t *testing.T) {
	const file = "../../prog/testdata/fork-cow.prog"
	code, out, errs := run("run", "--proc", "/proc/meminfo", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"==> calls <==", "parent[2]: fork(child) = 3", "child[3]: touch(r0, 4M, read) = 0", "MemTotal:         1"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	_, out256, _ := run("run", "--mem", "256M", "--proc", "/proc/meminfo", file)
	if memTotal(out) >= memTotal(out256) || memTotal(out) > 128<<10 {
		t.Errorf("MemTotal %d kB (header 128M), with --mem 256M %d kB", memTotal(out), memTotal(out256))
	}
	code2, out2, _ := run("run", "--proc", "/proc/meminfo", file)
	if code2 != 0 || out2 != out {
		t.Error("two runs of the same program differ")
	}

	dir := t.TempDir()
	bad := dir + "/bad.prog"
	os.WriteFile(bad, []byte("mem 1G\nmain: r0 = mmap(4M, rx)\n"), 0o644)
	code, _, errs = run("run", bad)
	if code != 2 || !strings.HasPrefix(errs, bad+`:2:21: mmap: prot: unknown prot "rx"`) {
		t.Errorf("malformed program: exit %d, stderr %q", code, errs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", dir + "/missing.prog"}, "no such file"},
		{[]string{"run", "--example", "boot", file}, "not both"},
		{[]string{"run", file, file}, "unexpected argument"},
		{[]string{"run", "--mem", "64M", "../../prog/testdata/writeback.prog"}, "boot:"},
	} {
		if code, _, errs := run(tc.args...); code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("pagesim %v: exit %d, stderr %q, want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
	oops := dir + "/oops.prog"
	os.WriteFile(oops, []byte("mem 128M\ndrv: r0 = alloc_pages(0, GFP_KERNEL)\ndrv: free_pages(r0)\ndrv: free_pages(r0)\n"), 0o644)
	if code, _, errs := run("run", oops); code != 1 || !strings.Contains(errs, "kernel BUG at include/linux/mm.h:321!") {
		t.Errorf("double free: exit %d, stderr %q", code, errs)
	}
}

func memTotal(out string) int {
	i := strings.Index(out, "MemTotal:")
	if i < 0 {
		return 0
	}
	var kb int
	fmt.Sscanf(out[i+len("MemTotal:"):], "%d", &kb)
	return kb
}
