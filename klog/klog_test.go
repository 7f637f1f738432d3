package klog_test

import (
	"bytes"
	"runtime"
	"strings"
	"sync"
	"testing"

	"pagesim/klog"
	"pagesim/klog/internal/xfstest"
)

func init() {
	klog.RegisterPackage("pagesim/klog_test", "")
	klog.RegisterSymbol("pagesim/klog_test.allocPagesNodemask", "__alloc_pages_nodemask")
	klog.HideFunc("pagesim/klog_test.runHidden")
}

// hideTest keeps the test function itself out of call traces (it lives in
// the registered test package).
func hideTest(t *testing.T) {
	klog.HideFunc("pagesim/klog_test." + t.Name())
}

// testConfig is the machine of the seed report: CPU 3, PID 19721,
// trinity-c61, with xfs and ext4 loaded.
func testConfig(clock *int64) klog.Config {
	return klog.Config{
		Clock:    func() int64 { return *clock },
		Current:  func() (int, int, string) { return 3, 19721, "trinity-c61" },
		Release:  "3.16.0-pagesim",
		Version:  "#1 SMP PREEMPT pagesim",
		Hardware: "pagesim virtual machine, BIOS pagesim 07/26/2014",
		Modules:  []string{"xfs", "ext4"},
		OopsID:   0x6b7e2a8e0bbd2a6a,
	}
}

// A call chain standing for the seed's direct reclaim path:
// handleMMFault -> allocPagesVMA -> allocPagesNodemask -> shrinkPageList
// -> xfs_vm_writepage (in module "xfs"). allocPagesVMA is small enough to
// be inlined; the others are marked noinline.

var writeback = xfstest.XfsVMWritepage

//go:noinline
func handleMMFault(l *klog.Log, flags uint) bool {
	return allocPagesVMA(l, flags)
}

func allocPagesVMA(l *klog.Log, flags uint) bool {
	return allocPagesNodemask(l, flags)
}

//go:noinline
func allocPagesNodemask(l *klog.Log, flags uint) bool {
	return shrinkPageList(l, flags)
}

var (
	inlinedMu   sync.Mutex
	inlinedSeen = map[string]bool{}
)

//go:noinline
func shrinkPageList(l *klog.Log, flags uint) bool {
	// Record which of our callers the compiler inlined.
	pcs := make([]uintptr, 16)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(1, pcs)])
	inlinedMu.Lock()
	for {
		f, more := frames.Next()
		if f.Func == nil {
			inlinedSeen[f.Function] = true
		}
		if !more {
			break
		}
	}
	inlinedMu.Unlock()
	return writeback(l, flags)
}

//go:noinline
func runHidden(f func()) { f() }

const wantWarn = `[ 1234.567891] ------------[ cut here ]------------
[ 1234.567891] WARNING: CPU: 3 PID: 19721 at fs/xfs/xfs_aops.c:971 xfs_vm_writepage+0x21c/0x677 [xfs]()
[ 1234.567891] Modules linked in: xfs ext4
[ 1234.567891] CPU: 3 PID: 19721 Comm: trinity-c61 Not tainted 3.16.0-pagesim #1
[ 1234.567891] Hardware name: pagesim virtual machine, BIOS pagesim 07/26/2014
[ 1234.567891]  0000000000000000 ffff880022755740 ffff8800f3952340 ffff8800f3952168
[ 1234.567891]  ffffffff8127c825 ffff88001262f700 0000000000000000 0000000000000031
[ 1234.567891]  ffff8800f3952188 ffffffff8135a27d ffff880018ccc840 0000000000000000
[ 1234.567891] Call Trace:
[ 1234.567891]  [<ffffffff8127c825>] dump_stack+0x45/0x56
[ 1234.567891]  [<ffffffff8135a27d>] warn_slowpath_common+0x7d/0xa0
[ 1234.567891]  [<ffffffff8118edfa>] warn_slowpath_null+0x1a/0x20
[ 1234.567891]  [<ffffffffc033c63c>] xfs_vm_writepage+0x21c/0x677 [xfs]
[ 1234.567891]  [<ffffffff8151182d>] shrink_page_list+0x8d/0x2c9
[ 1234.567891]  [<ffffffff816d6e75>] __alloc_pages_nodemask+0x345/0x46c
[ 1234.567891]  [<ffffffff81406e5b>] alloc_pages_vma+0x6b/0x146
[ 1234.567891]  [<ffffffff8128e62c>] handle_mm_fault+0x3ec/0x46b
[ 1234.567891] ---[ end trace 6b7e2a8e0bbd2a6b ]---
`

func TestWarnGolden(t *testing.T) {
	hideTest(t)
	clock := int64(1234567891234)
	l := klog.New(testConfig(&clock))
	var wrote bool
	runHidden(func() { wrote = handleMMFault(l, xfstest.PFMemalloc) })
	if wrote {
		t.Errorf("xfs_vm_writepage wrote back from direct reclaim")
	}
	if got := l.String(); got != wantWarn {
		t.Errorf("WARN output:\n%s\nwant:\n%s", got, wantWarn)
	}
	inlinedMu.Lock()
	defer inlinedMu.Unlock()
	if !inlinedSeen["pagesim/klog_test.allocPagesVMA"] {
		t.Logf("allocPagesVMA was not inlined in this build (-gcflags=-l?); the trace must not depend on it")
	}
	for _, fn := range []string{"handleMMFault", "allocPagesNodemask", "shrinkPageList"} {
		if inlinedSeen["pagesim/klog_test."+fn] {
			t.Errorf("%s is go:noinline but was inlined", fn)
		}
	}
}

func TestWarnNoStackWords(t *testing.T) {
	hideTest(t)
	clock := int64(0)
	cfg := testConfig(&clock)
	cfg.NoStackWords = true
	cfg.Hardware = ""
	cfg.Modules = nil
	l := klog.New(cfg)
	runHidden(func() { handleMMFault(l, xfstest.PFMemalloc) })
	out := l.String()
	if strings.Contains(out, "Hardware name") || strings.Contains(out, " ffff8800") {
		t.Errorf("unexpected lines:\n%s", out)
	}
	if !strings.Contains(out, "[    0.000000] Modules linked in:\n[    0.000000] CPU: 3 PID: 19721 Comm: trinity-c61 Not tainted 3.16.0-pagesim #1\n[    0.000000] Call Trace:\n") {
		t.Errorf("output:\n%s", out)
	}
}

func TestFormatTime(t *testing.T) {
	for _, c := range []struct {
		ns   uint64
		want string
	}{
		{0, "[    0.000000] "},
		{1500000000, "[    1.500000] "},
		{999, "[    0.000000] "},
		{1000, "[    0.000001] "},
		{99999999999999, "[99999.999999] "},
		{123456789012345678, "[123456789.012345] "},
		{1<<64 - 1, "[18446744073.709551] "},
	} {
		if got := klog.FormatTime(c.ns); got != c.want {
			t.Errorf("FormatTime(%d) = %q, want %q", c.ns, got, c.want)
		}
	}
}

func TestPrintkRecords(t *testing.T) {
	clock := int64(5)
	pid := 1
	l := klog.New(klog.Config{
		Clock:   func() int64 { return clock },
		Current: func() (int, int, string) { return 0, pid, "t" },
	})
	l.Printk(klog.KernInfo, "one\ntwo\n")
	clock = 2e9
	l.Printk(klog.KernErr, "start %d", 1)
	l.Printk(klog.KernCont, " more")
	clock = 3e9
	l.Printk(klog.KernCont, " end\n")
	l.Printk(klog.KernCont, "partial")
	l.Printk(klog.KernWarning, "leveled ends it\n") // LOG_PREFIX flushes
	l.Printk(klog.KernCont, "a")
	pid = 2
	l.Printk(klog.KernCont, "b\n") // another task's text ends it too
	l.Printk(klog.KernCont, "\x013err via level marker\n")
	l.Printk(klog.KernCont, "\n")
	l.Printk(klog.KernNotice, "100%%\n")
	l.Printk(klog.KernDebug, "pending")
	want := `[    0.000000] one
[    0.000000] two
[    2.000000] start 1 more end
[    3.000000] partial
[    3.000000] leveled ends it
[    3.000000] a
[    3.000000] b
[    3.000000] err via level marker
[    3.000000] 
[    3.000000] 100%
[    3.000000] pending`
	if got := l.String(); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
	levels := ""
	for _, r := range l.Records() {
		levels += r.Level.String()[5:6]
	}
	if levels != "IIEWWWWEWN" {
		t.Errorf("levels %s", levels)
	}
	if n := len(l.RecordsUpTo(klog.KernErr)); n != 2 {
		t.Errorf("RecordsUpTo(KernErr) = %d records, want 2", n)
	}
	l.Flush()
	if r := l.Records(); r[len(r)-1].Text != "pending" || r[len(r)-1].Level != klog.KernDebug {
		t.Errorf("flushed record %+v", r[len(r)-1])
	}
}

func TestLogBufLen(t *testing.T) {
	l := klog.New(klog.Config{LogBufLen: 64})
	for i := 0; i < 100; i++ {
		l.Printk(klog.KernInfo, "line %02d\n", i)
	}
	r := l.Records()
	if len(r) != 2 || r[1].Text != "line 99" {
		t.Errorf("records %v", r)
	}
}

func TestWarnOnOnce(t *testing.T) {
	hideTest(t)
	l := klog.New(klog.Config{})
	count := func() int { return strings.Count(l.String(), "cut here") }
	siteA := func(c bool) bool { return l.WarnOnOnce(c, "mm/a.c", 1) }
	siteB := func(c bool) bool { return l.WarnOnOnce(c, "mm/b.c", 2) }
	if siteA(false) || count() != 0 {
		t.Fatal("WarnOnOnce(false) fired")
	}
	for i := 0; i < 3; i++ {
		if !siteA(true) {
			t.Fatal("WarnOnOnce(true) returned false")
		}
	}
	if count() != 1 {
		t.Fatalf("site A printed %d times", count())
	}
	siteB(true)
	siteB(true)
	if count() != 2 {
		t.Fatalf("sites A and B printed %d reports", count())
	}
	if l.WarnOnce("mm/b.c", 2, 0) {
		t.Error("WarnOnce printed for a site that already fired")
	}
	if !l.WarnOnce("mm/c.c", 3, 0) || l.WarnOnce("mm/c.c", 3, 0) {
		t.Error("WarnOnce on a new site")
	}
	if !l.WarnOn(true, "mm/b.c", 2) || !l.WarnOn(true, "mm/b.c", 2) || count() != 5 {
		t.Errorf("WarnOn does not print every time: %d", count())
	}
	// Once-state is per boot.
	l2 := klog.New(klog.Config{})
	l2.WarnOnOnce(true, "mm/a.c", 1)
	if !strings.Contains(l2.String(), "cut here") {
		t.Error("a new boot must warn again")
	}
	if !strings.Contains(l.String(), "end trace 0000000000000005") {
		t.Errorf("oops id does not count reports:\n%s", l.String())
	}
}

func TestTaint(t *testing.T) {
	hideTest(t)
	l := klog.New(klog.Config{Release: "3.16.0", Version: "#1"})
	if s := l.PrintTainted(); s != "Not tainted" {
		t.Errorf("fresh taint %q", s)
	}
	l.WarnOn(true, "mm/vmscan.c", 1)
	l.WarnOn(true, "mm/vmscan.c", 2)
	const warned = "Tainted: G        W    "
	if s := l.PrintTainted(); s != warned {
		t.Errorf("after WARN: %q, want %q", s, warned)
	}
	lines := strings.Split(l.String(), "\n")
	var cpuLines []string
	for _, ln := range lines {
		if strings.Contains(ln, "Comm:") {
			cpuLines = append(cpuLines, ln[15:])
		}
	}
	want := []string{
		"CPU: 0 PID: 0 Comm: swapper/0 Not tainted 3.16.0 #1",
		"CPU: 0 PID: 0 Comm: swapper/0 Tainted: G        W     3.16.0 #1",
	}
	if strings.Join(cpuLines, "\n") != strings.Join(want, "\n") {
		t.Errorf("CPU lines:\n%q\nwant\n%q", cpuLines, want)
	}
	if !l.TestTaint(klog.TaintWarn) || l.TestTaint(klog.TaintDie) || l.Tainted() != 1<<9 {
		t.Errorf("taint mask %#x", l.Tainted())
	}
	l.AddTaint(klog.TaintBadPage, klog.LockdepNowUnreliable)
	l.AddTaint(klog.TaintProprietaryModule, klog.LockdepNowUnreliable)
	if s := l.PrintTainted(); s != "Tainted: P    B   W    " {
		t.Errorf("taint %q", s)
	}
	if n := strings.Count(l.String(), "Disabling lock debugging due to kernel taint"); n != 1 {
		t.Errorf("lock debugging message printed %d times", n)
	}
}

//go:noinline
func isolateLRUPage(l *klog.Log, onLRU bool) {
	l.VMBugOn(!onLRU, "mm/vmscan.c", 1332)
}

//go:noinline
func compactZone(l *klog.Log) { isolateLRUPage(l, false) }

func TestBug(t *testing.T) {
	hideTest(t)
	clock := int64(42e9)
	l := klog.New(testConfig(&clock))
	var oops *klog.Oops
	func() {
		defer func() {
			r := recover()
			o, ok := r.(*klog.Oops)
			if !ok {
				t.Fatalf("recovered %T %v, want *klog.Oops", r, r)
			}
			oops = o
		}()
		runHidden(func() { compactZone(l) })
	}()
	if oops.File != "mm/vmscan.c" || oops.Line != 1332 || oops.Symbol != "isolate_lru_page" || oops.Die != 1 || oops.Panic {
		t.Errorf("oops %+v", oops)
	}
	if oops.Error() != "kernel BUG at mm/vmscan.c:1332!" {
		t.Errorf("Error() = %q", oops.Error())
	}
	if !l.TestTaint(klog.TaintDie) {
		t.Error("BUG did not add TAINT_DIE")
	}
	out := l.String()
	for _, want := range []string{
		"[   42.000000] ------------[ cut here ]------------\n" +
			"[   42.000000] kernel BUG at mm/vmscan.c:1332!\n" +
			"[   42.000000] invalid opcode: 0000 [#1] SMP \n" +
			"[   42.000000] Modules linked in: xfs ext4\n" +
			"[   42.000000] CPU: 3 PID: 19721 Comm: trinity-c61 Not tainted 3.16.0-pagesim #1\n",
		"] RIP: 0010:[<",
		">]  [<",
		"] isolate_lru_page+0x",
		"[   42.000000] Stack:\n",
		"[   42.000000] Call Trace:\n[   42.000000]  [<",
		"] compact_zone+0x",
		"[   42.000000] RIP  [<",
		"---[ end trace 6b7e2a8e0bbd2a6b ]---\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "Disabling lock debugging") {
		t.Error("oops_enter turns lock debugging off silently")
	}
	if strings.Count(out, "isolate_lru_page") != 2 {
		t.Errorf("the BUGging function is in RIP lines only, not in the trace:\n%s", out)
	}
}

func TestPanic(t *testing.T) {
	hideTest(t)
	l := klog.New(klog.Config{NoStackWords: true})
	defer func() {
		o, ok := recover().(*klog.Oops)
		if !ok || !o.Panic || o.Symbol != "out_of_memory" {
			t.Fatalf("oops %+v", o)
		}
		want := "[    0.000000] Kernel panic - not syncing: Out of memory and no killable processes...\n" +
			"[    0.000000] \n" +
			"[    0.000000] CPU: 0 PID: 0 Comm: swapper/0 Not tainted  \n" +
			"[    0.000000] Call Trace:\n" +
			"[    0.000000]  [<"
		if out := l.String(); !strings.HasPrefix(out, want) || !strings.HasSuffix(out, "] ---[ end Kernel panic - not syncing: Out of memory and no killable processes...\n[    0.000000] \n") {
			t.Errorf("panic output:\n%s", out)
		}
	}()
	outOfMemory(l)
}

//go:noinline
func outOfMemory(l *klog.Log) {
	l.Panic("Out of memory and no killable processes...\n")
}

func TestWarnf(t *testing.T) {
	hideTest(t)
	l := klog.New(klog.Config{NoStackWords: true})
	runHidden(func() { badRange(l) })
	out := l.String()
	want := "[    0.000000] WARNING: CPU: 0 PID: 0 at mm/page_alloc.c:100 bad_range+0x"
	want2 := "()\n[    0.000000] page 5 out of range\n[    0.000000] Modules linked in:\n"
	if !strings.Contains(out, want) || !strings.Contains(out, want2) || !strings.Contains(out, "] warn_slowpath_fmt+0x46/0x50\n") {
		t.Errorf("Warnf output:\n%s", out)
	}
}

//go:noinline
func badRange(l *klog.Log) {
	l.WarnOnf(true, "mm/page_alloc.c", 100, "page %d out of range\n", 5)
}

func TestSnakeCase(t *testing.T) {
	for _, c := range [][2]string{
		{"shrinkPageList", "shrink_page_list"},
		{"allocPagesVMA", "alloc_pages_vma"},
		{"xfsVMWritepage", "xfs_vm_writepage"},
		{"XfsVMWritepage", "xfs_vm_writepage"},
		{"ext4Writepage", "ext4_writepage"},
		{"ext4DaWritepages", "ext4_da_writepages"},
		{"PageLRU", "page_lru"},
		{"isPageHWPoison", "is_page_hw_poison"},
		{"tryToFreePages", "try_to_free_pages"},
		{"migratePageMoveMapping", "migrate_page_move_mapping"},
		{"freePagesCheck", "free_pages_check"},
		{"pageIsFileCache", "page_is_file_cache"},
		{"GFPZone", "gfp_zone"},
		{"dump_page", "dump_page"},
		{"kswapd", "kswapd"},
	} {
		if got := klog.SnakeCase(c[0]); got != c[1] {
			t.Errorf("SnakeCase(%q) = %q, want %q", c[0], got, c[1])
		}
	}
	klog.RegisterSymbol("pagesim/klog_test.rmqueueSmallest", "__rmqueue_smallest")
	klog.RegisterSymbol("pagesim/klog_test.(*zone).special", "zone_special_full")
	klog.HideFunc("pagesim/klog_test.helper")
	for _, c := range []struct{ fn, sym, mod string }{
		{"pagesim/klog_test.shrinkPageList", "shrink_page_list", ""},
		{"pagesim/klog_test.(*Zone).shrinkPageList", "shrink_page_list", ""},
		{"pagesim/klog_test.Zone.shrinkPageList", "shrink_page_list", ""},
		{"pagesim/klog_test.(*List[...]).listAdd", "list_add", ""},
		{"pagesim/klog_test.isolateLRUPages[...]", "isolate_lru_pages", ""},
		{"pagesim/klog_test.rmqueueSmallest", "__rmqueue_smallest", ""},
		{"pagesim/klog_test.(*Zone).rmqueueSmallest", "__rmqueue_smallest", ""},
		{"pagesim/klog_test.(*zone).special", "zone_special_full", ""},
		{"pagesim/klog_test.allocPagesNodemask", "__alloc_pages_nodemask", ""},
		{"pagesim/klog/internal/xfstest.XfsVMWritepage", "xfs_vm_writepage", "xfs"},
		{"pagesim/klog_test.shrinkPageList.func1", "", ""},
		{"pagesim/klog_test.shrinkPageList.func1.2", "", ""},
		{"pagesim/klog_test.shrinkPageList.gowrap1", "", ""},
		{"pagesim/klog_test.(*Zone).shrinkPageList-fm", "", ""},
		{"pagesim/klog_test.helper", "", ""},
		{"pagesim/klog_test.runHidden", "", ""},
		{"pagesim/sim.(*Sched).run", "", ""},
		{"testing.tRunner", "", ""},
		{"runtime.goexit", "", ""},
	} {
		sym, mod, ok := klog.KernelSymbol(c.fn)
		if sym != c.sym || mod != c.mod || ok != (c.sym != "") {
			t.Errorf("KernelSymbol(%q) = %q, %q, %v; want %q, %q", c.fn, sym, mod, ok, c.sym, c.mod)
		}
	}
}

func TestSymbolExtent(t *testing.T) {
	// Addresses depend on names only: these values hold on every build.
	for _, c := range []struct {
		sym, mod    string
		start, size uint64
	}{
		{"shrink_page_list", "", 0xffffffff815117a0, 0x2c9},
		{"xfs_vm_writepage", "xfs", 0xffffffffc033c420, 0x677},
	} {
		start, size := klog.SymbolExtent(c.sym, c.mod)
		if start != c.start || size != c.size {
			t.Errorf("SymbolExtent(%q, %q) = %#x, %#x; want %#x, %#x", c.sym, c.mod, start, size, c.start, c.size)
		}
	}
	for _, sym := range []string{"a", "shrink_page_list", "__alloc_pages_nodemask", "handle_mm_fault"} {
		start, size := klog.SymbolExtent(sym, "")
		if size < 0x20 || size > 0xc00 || start < 0xffffffff81000000 || start >= 0xffffffff81800000 || start%16 != 0 {
			t.Errorf("%s: start %#x size %#x", sym, start, size)
		}
	}
}

func TestTraceFrames(t *testing.T) {
	hideTest(t)
	var tr klog.Trace
	runHidden(func() { tr = captureOuter() })
	fr := tr.Frames()
	var names []string
	for _, f := range fr {
		names = append(names, f.Symbol)
		if f.Offset == 0 || f.Offset >= f.Size {
			t.Errorf("%s: offset %#x size %#x", f, f.Offset, f.Size)
		}
	}
	if got := strings.Join(names, " "); got != "capture_inner capture_outer" {
		t.Errorf("frames %q", got)
	}
	if fr[1].Offset != tr.Frames()[1].Offset {
		t.Error("offsets are not stable")
	}
	var zero klog.Trace
	if zero.Len() != 0 || len(zero.Frames()) != 0 {
		t.Error("zero trace is not empty")
	}
}

//go:noinline
func captureOuter() klog.Trace { return captureInner() }

//go:noinline
func captureInner() klog.Trace {
	var t klog.Trace
	func() { t = captureHelper() }()
	return t
}

// captureHelper is inlinable and skips itself.
func captureHelper() klog.Trace { return klog.Callers(1) }

func TestDeterminism(t *testing.T) {
	hideTest(t)
	run := func() []byte {
		clock := int64(0)
		l := klog.New(testConfig(&clock))
		for i := 0; i < 3; i++ {
			clock += 1234567
			l.Printk(klog.KernInfo, "event %d\n", i)
			runHidden(func() { handleMMFault(l, xfstest.PFMemalloc) })
			l.WarnOn(true, "mm/vmscan.c", 1000+i)
		}
		var b bytes.Buffer
		if _, err := l.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b := run(), run()
	if !bytes.Equal(a, b) {
		t.Errorf("two identical boots differ:\n%s\n---\n%s", a, b)
	}
	if bytes.Count(a, []byte("cut here")) != 4 {
		t.Errorf("unexpected report count:\n%s", a)
	}
}

var sink int

func BenchmarkCallers(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tr := klog.Callers(0)
		sink += tr.Len()
	}
}

func BenchmarkWarnOnceSilent(b *testing.B) {
	l := klog.New(klog.Config{NoStackWords: true})
	l.WarnOnOnce(true, "fs/xfs/xfs_aops.c", 971)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !l.WarnOnOnce(true, "fs/xfs/xfs_aops.c", 971) {
			b.Fatal("lost cond")
		}
	}
}

func BenchmarkWarnOnOnceFalse(b *testing.B) {
	l := klog.New(klog.Config{})
	for i := 0; i < b.N; i++ {
		if l.WarnOnOnce(i < 0, "fs/xfs/xfs_aops.c", 971) {
			b.Fatal("fired")
		}
	}
}

// An entry stub (arch/x86/kernel/entry_64.S's page_fault) follows the
// function it calls and ends the trace: below it is user mode, so no Go
// frame further out is shown.
func TestRegisterEntry(t *testing.T) {
	hideTest(t)
	klog.RegisterEntry("pagesim/klog_test.entryFault", "page_fault")
	var tr klog.Trace
	entryOuter(&tr)
	var names []string
	for _, f := range tr.Frames() {
		names = append(names, f.String())
	}
	if got := strings.Join(names, " "); !strings.HasPrefix(got, "entry_inner+") || !strings.Contains(got, " entry_fault+") || !strings.HasSuffix(got, " page_fault+0x28/0x30") || strings.Contains(got, "entry_outer") {
		t.Errorf("frames %q: want entry_inner, entry_fault, then page_fault+0x28/0x30 last", got)
	}
}

//go:noinline
func entryOuter(tr *klog.Trace) { entryFault(tr) }

//go:noinline
func entryFault(tr *klog.Trace) { entryInner(tr) }

//go:noinline
func entryInner(tr *klog.Trace) { *tr = klog.Callers(0) }

// print_modules lists the most recently loaded module first, each once.
func TestLoadModule(t *testing.T) {
	l := klog.New(klog.Config{Modules: []string{"sd_mod"}})
	for _, m := range []string{"jbd2", "mbcache", "crc16", "ext4", "jbd2", "libcrc32c", "xfs"} {
		l.LoadModule(m)
	}
	l.PrintModules()
	recs := l.Records()
	if got, want := recs[len(recs)-1].Text, "Modules linked in: xfs libcrc32c ext4 crc16 mbcache jbd2 sd_mod"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
