// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"regexp"
	"strings"
	"testing"
)

// v3.16 Makefile/Kbuild: the release (UTS_RELEASE) is
// VERSION.PATCHLEVEL.SUBLEVEL, EXTRAVERSION, then the local version; the
// "Linux version" banner and dump_stack_print_info's "CPU: n PID: p Comm: c
// Not tainted RELEASE #1" line print it, so each variant reports its own.
func TestReleasePerVariant(t *testing.T) {
	want := map[string]string{
		"v3.15":     "3.15.0-pagesim",
		"v3.16-rc1": "3.16.0-rc1-pagesim",
		"v3.16":     "3.16.0-pagesim",
		"v4.5":      "4.5.0-pagesim",
	}
	for _, k := range Kernels() {
		w, ok := want[k.Name]
		if !ok {
			t.Fatalf("kernel %s has no expected release", k.Name)
		}
		if got := k.Release(); got != w {
			t.Errorf("%s: Release() = %q, want %q", k.Name, got, w)
		}
		cfg := DefaultConfig()
		cfg.MemBytes = 64 << 20
		cfg.Kernel = k.Name
		m, err := Boot(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.Log.DumpStack(0)
		log := m.Log.String()
		m.Close()
		if !strings.Contains(log, "Linux version "+w+" (pagesim)") {
			t.Errorf("%s: banner does not name %s:\n%s", k.Name, w, log)
		}
		if !regexp.MustCompile(`CPU: 0 PID: 0 Comm: swapper/0 Not tainted ` + regexp.QuoteMeta(w) + ` #1\n`).MatchString(log) {
			t.Errorf("%s: dump_stack line does not print %s:\n%s", k.Name, w, log)
		}
	}
}

// v3.16 kernel/module.c print_modules: "Modules linked in:" lists the
// loaded modules most recently loaded first (load_module adds to the head
// of the modules list). Mounting ext4 loads jbd2, mbcache and crc16 first
// (its dependencies), xfs loads libcrc32c; tmpfs is built in.
func TestModulesLinkedInPerMount(t *testing.T) {
	for _, c := range []struct {
		mounts []string
		want   string
	}{
		{nil, "Modules linked in:"},
		{[]string{"tmpfs"}, "Modules linked in:"},
		{[]string{"ext4"}, "Modules linked in: ext4 crc16 mbcache jbd2"},
		{[]string{"xfs", "tmpfs"}, "Modules linked in: xfs libcrc32c"},
		{[]string{"ext4", "xfs", "ext4"}, "Modules linked in: xfs libcrc32c ext4 crc16 mbcache jbd2"},
		{[]string{"xfs", "ext4"}, "Modules linked in: ext4 crc16 mbcache jbd2 xfs libcrc32c"},
	} {
		cfg := DefaultConfig()
		cfg.MemBytes = 64 << 20
		for i, fs := range c.mounts {
			cfg.Mounts = append(cfg.Mounts, MountSpec{Type: fs, Path: "/mnt/" + string(rune('a'+i)), SizeBytes: 16 << 20})
		}
		m, err := Boot(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.Log.PrintModules()
		recs := m.Log.Records()
		m.Close()
		if got := recs[len(recs)-1].Text; got != c.want {
			t.Errorf("mounts %v: %q, want %q", c.mounts, got, c.want)
		}
	}
}

// v3.16 arch/x86/mm/fault.c: a user page fault enters the kernel at
// entry_64.S's page_fault, which calls do_page_fault, which calls
// __do_page_fault; the founding case's WARN trace therefore ends with
// those three frames, page_fault outermost, under the seed's frames, and
// its module line names xfs and what it needs.
func TestSeedTraceEndsAtPageFault(t *testing.T) {
	run := runSeed(t, seedCase{kernel: "v3.16-rc1", fs: "xfs", backing: "shmem", swap: true})
	checkSeedTrace(t, run.log, "xfs")
	i := strings.Index(run.log, writepageWarn["xfs"])
	end := strings.Index(run.log[i:], "---[ end trace")
	report := run.log[i : i+end]
	frame := regexp.MustCompile(`\[<[0-9a-f]+>\] ([a-z_0-9]+)\+0x[0-9a-f]+/0x[0-9a-f]+`)
	var frames []string
	for _, m := range frame.FindAllStringSubmatch(report, -1) {
		frames = append(frames, m[1])
	}
	want := []string{"handle_mm_fault", "__do_page_fault", "do_page_fault", "page_fault"}
	if len(frames) < len(want) || strings.Join(frames[len(frames)-len(want):], " ") != strings.Join(want, " ") {
		t.Errorf("trace %v does not end %v", frames, want)
	}
	if !strings.Contains(report, "] page_fault+0x28/0x30\n") {
		t.Errorf("page_fault frame not as v3.16 x86_64 prints it:\n%s", report)
	}
	if !strings.Contains(report, "] Modules linked in: xfs libcrc32c\n") {
		t.Errorf("no module line for xfs:\n%s", report)
	}
	if !strings.Contains(report, "Not tainted 3.16.0-rc1-pagesim #1\n") {
		t.Errorf("release is not v3.16-rc1's:\n%s", report)
	}
}
