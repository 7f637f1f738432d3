// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
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
		{[]string{"run", "--mem", "64M", "--nodes", "2", "../../prog/testdata/writeback.prog"}, "boot:"},
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

// TestBench runs a small benchmark and checks its report: both rates and
// a positive ratio.
func TestBench(t *testing.T) {
	code, out, errs := run("bench", "--mem", "128M", "--size", "4M")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"simulator: 1024 faults in ", "host: 1024 faults in ", " faults/s", "\nratio: "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	i := strings.Index(out, "\nratio: ")
	if i < 0 {
		return
	}
	line := strings.TrimSpace(strings.SplitN(out[i+len("\nratio: "):], "\n", 2)[0])
	r, err := strconv.ParseFloat(line, 64)
	if err != nil || r <= 0 || !strings.Contains(line, ".") || len(line)-strings.Index(line, ".") != 3 {
		t.Errorf("ratio %q: want a positive number with 2 decimals (%v)", line, err)
	}
	for _, args := range [][]string{{"bench", "--size", "1x"}, {"bench", "--mem", "1M"}, {"bench", "extra"}} {
		if code, _, _ := run(args...); code != 2 {
			t.Errorf("pagesim %v: exit %d, want 2", args, code)
		}
	}
}

// TestHistory records the history of chosen PFNs, for an example and for
// a program, and rejects a bad PFN.
func TestHistory(t *testing.T) {
	code, out, errs := run("run", "--example", "seed-writeback", "--no-dmesg", "--history", "0x2000,0x1000", "--history", "100")
	if code == 2 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"==> history pfn 0x2000 <==\n[", "alloc order:0", "==> history pfn 0x1000 <==\n", "==> history pfn 0x64 <==\n["} {
		if !strings.Contains(out, want) {
			t.Errorf("example: output lacks %q:\n%s", want, out)
		}
	}
	code, out, errs = run("run", "--no-dmesg", "--history", "30720", "../../prog/testdata/fork-cow.prog")
	if code != 0 || !strings.Contains(out, "==> history pfn 0x7800 <==\n[    0.000000] alloc order:2") {
		t.Errorf("program: exit %d, stderr %q, output:\n%s", code, errs, out)
	}
	if code, _, errs := run("run", "--history", "0x12,zz"); code != 2 || !strings.Contains(errs, `bad PFN "zz"`) {
		t.Errorf("bad PFN: exit %d, stderr %q", code, errs)
	}
}

// TestCheck: --check=off skips the invariant checker, --check=every also
// checks after each call of a program (testdata/script/check-every.txtar
// has its reports).
func TestCheck(t *testing.T) {
	const file = "../../prog/testdata/fork-cow.prog"
	for _, args := range [][]string{{"run", "--check=off", file}, {"run", "--check", "end", file}, {"run", "--check=off", "--example", "writeback"}} {
		if code, _, errs := run(args...); code != 0 {
			t.Errorf("pagesim %v: exit %d: %s", args, code, errs)
		}
	}
	_, _, errs := run("run", "--example", "seed-writeback")
	if !strings.Contains(errs, "invariant violations") {
		t.Errorf("seed-writeback --check=end: no invariant violations reported: %q", errs)
	}
	_, _, errs = run("run", "--check=off", "--example", "seed-writeback")
	if strings.Contains(errs, "invariant violations") {
		t.Errorf("seed-writeback --check=off: invariants checked: %q", errs)
	}
	if code, out, errs := run("run", "--check=every", file); code != 0 || !strings.Contains(out, "invariant checks after calls: ") {
		t.Errorf("--check=every: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := run("run", "--check=every"); code != 0 || !strings.Contains(errs, "checking at the end only") {
		t.Errorf("--check=every without a program: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := run("run", "--check=sometimes"); code != 2 || !strings.Contains(errs, "want end, every or off") {
		t.Errorf("--check=sometimes: exit %d, stderr %q", code, errs)
	}
}

// summary returns the output's summary section.
func summary(out string) string {
	i := strings.Index(out, "\n==> summary <==\n")
	if i < 0 {
		return ""
	}
	return out[i:]
}

// TestSummary checks the summary: the reports by title, the counts, the
// nonzero vmstat deltas, and that a WARN alone makes the exit status 1.
func TestSummary(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want []string
		not  []string
	}{
		// The WARN alone (invariants not checked) fails the run.
		{[]string{"run", "--check=off", "--no-dmesg", "--example", "seed-writeback"}, 1,
			[]string{"reports: 1\n  WARNING: CPU: 0 PID: 3 at fs/xfs/xfs_aops.c:971 xfs_vm_writepage", "invariant violations: not checked (--check=off)\n", "data integrity errors: 0\n", "  pgfault ", "  allocstall ", "  pswpout ", "  pgscan_direct_dma32 ", "  pgmigrate_success ", "exit status: 1\n"},
			[]string{"  pgmajfault ", "  pgmigrate_fail "}},
		{[]string{"run", "--example", "seed-writeback"}, 1,
			[]string{"reports: 1\n  WARNING: ", "invariant violations: 2\n", "exit status: 1\n"}, nil},
		{[]string{"run", "--example", "seed-writeback", "--kernel", "v3.16"}, 0,
			[]string{"reports: 0\n", "invariant violations: 0\n", "  pgfault ", "exit status: 0\n"}, []string{"WARNING"}},
		{[]string{"run", "--example", "double-free"}, 1,
			[]string{"reports: 1\n  kernel BUG at include/linux/mm.h:321!\n", "not checked (the machine stopped)"}, nil},
		{[]string{"run", "--example", "fork-cow"}, 0,
			[]string{"reports: 0\n", "  nr_free_pages ", "  pgfault                  +2048\n"}, []string{"pswpout"}},
		{[]string{"run", "../../prog/testdata/fork-cow.prog"}, 0,
			[]string{"reports: 0\n", "  pgfault "}, nil},
	}
	for _, tc := range cases {
		code, out, errs := run(tc.args...)
		s := summary(out)
		if code != tc.code {
			t.Errorf("pagesim %v: exit %d, want %d: %s", tc.args, code, tc.code, errs)
		}
		if s == "" {
			t.Errorf("pagesim %v: no summary:\n%s", tc.args, out)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(s, w) {
				t.Errorf("pagesim %v: summary lacks %q:\n%s", tc.args, w, s)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(s, w) {
				t.Errorf("pagesim %v: summary has %q:\n%s", tc.args, w, s)
			}
		}
	}
}

// TestJSON checks that --json prints one JSON object with the run's
// result, for an example and for a program.
func TestJSON(t *testing.T) {
	type result struct {
		Log                 []string          `json:"log"`
		Calls               []string          `json:"calls"`
		Reports             []string          `json:"reports"`
		InvariantsChecked   bool              `json:"invariants_checked"`
		Invariants          []string          `json:"invariant_violations"`
		DataIntegrityErrors int               `json:"data_integrity_errors"`
		Vmstat              []vmDelta         `json:"vmstat_deltas"`
		Proc                map[string]string `json:"proc"`
		History             map[string][]string
		Exit                *int `json:"exit_status"`
	}
	parse := func(args ...string) (int, result) {
		t.Helper()
		code, out, errs := run(args...)
		var r result
		dec := json.NewDecoder(strings.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("pagesim %v: %v\nstdout: %.500s\nstderr: %s", args, err, out, errs)
		}
		if dec.More() {
			t.Errorf("pagesim %v: more than one JSON value", args)
		}
		if r.Exit == nil || *r.Exit != code {
			t.Errorf("pagesim %v: exit %d, exit_status %v", args, code, r.Exit)
		}
		return code, r
	}

	// seed-writeback is a program example (examples/seed-writeback.prog):
	// it prints no /proc file unless asked to.
	code, r := parse("run", "--json", "--example", "seed-writeback", "--proc", "/proc/meminfo", "--history", "0x2000")
	if code != 1 || len(r.Reports) != 1 || !strings.HasPrefix(r.Reports[0], "WARNING: CPU: 0 PID: 3 at fs/xfs/xfs_aops.c:971") {
		t.Errorf("seed-writeback: exit %d, reports %q", code, r.Reports)
	}
	if !r.InvariantsChecked || len(r.Invariants) == 0 || len(r.Log) == 0 || r.Proc["/proc/meminfo"] == "" || len(r.History["0x2000"]) == 0 {
		t.Errorf("seed-writeback: checked %v, invariants %q, %d log lines, proc %d files, history %q", r.InvariantsChecked, r.Invariants, len(r.Log), len(r.Proc), r.History)
	}
	found := false
	for _, d := range r.Vmstat {
		found = found || d.Name == "pgfault" && d.Delta > 0
	}
	if !found {
		t.Errorf("seed-writeback: no pgfault delta in %v", r.Vmstat)
	}

	code, r = parse("run", "--json", "--no-dmesg", "../../prog/testdata/fork-cow.prog")
	if code != 0 || len(r.Reports) != 0 || r.Reports == nil || len(r.Log) != 0 || len(r.Calls) == 0 || !strings.Contains(r.Calls[2], "fork(child) = 3") {
		t.Errorf("fork-cow.prog: exit %d, reports %q, %d log lines, calls %q", code, r.Reports, len(r.Log), r.Calls)
	}
}

func TestLogReports(t *testing.T) {
	log := []string{
		"[    0.000000] Linux version 3.16.0-pagesim",
		"[    1.000000] BUG: Bad page state in process a  pfn:01234",
		"[    1.000000] page dumped because: nonzero mapcount",
		"[    2.000000] WARNING: CPU: 0 PID: 3 at mm/vmscan.c:1 x()",
		"[    3.000000] Kernel panic - not syncing: Out of memory",
		"[    3.000000] kernel BUG at mm/x.c:1!",
	}
	got := strings.Join(logReports(log), "|")
	want := "BUG: Bad page state in process a  pfn:01234|WARNING: CPU: 0 PID: 3 at mm/vmscan.c:1 x()|Kernel panic - not syncing: Out of memory|kernel BUG at mm/x.c:1!"
	if got != want {
		t.Errorf("logReports = %q, want %q", got, want)
	}
}
