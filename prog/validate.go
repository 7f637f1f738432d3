// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"fmt"
	"strconv"
	"strings"

	"pagesim/kernel"
	"pagesim/mm"
)

// Limits the header is checked against (mm's own limits, so that a bad
// header is reported at its line rather than at boot).
const (
	maxMem      = 1 << 40
	maxNodes    = 1 << mm.NODES_SHIFT
	maxCPUs     = 64
	sectionSize = 1 << mm.SECTION_SIZE_BITS
	minSwap     = 2 * mm.PAGE_SIZE // the mkswap header and one page
	maxSwap     = 256 << 30        // the model keeps a byte per swap page
	taskCommLen = 15               // TASK_COMM_LEN - 1
	pathMax     = 4096             // PATH_MAX
	// MaxCalls and MaxTasks bound a program: the executor keeps per-call
	// results and a goroutine per task, and a fuzzer or a typo must not
	// turn that into an unbounded host cost.
	MaxCalls = 100000
	MaxTasks = 1024
)

// MemCap is the largest machine a program may ask for. The model keeps a
// struct page (about 64 host bytes) per simulated page, so 64G costs about
// 1 GiB of host memory; raise it (pagesim run --max-mem) for bigger
// machines, up to the 1T the model boots.
var MemCap uint64 = 64 << 30

// Validate checks a program before it runs: the header's values, every
// call's arguments against its signature, and that each resource and task
// is used only where it exists:
//
//   - a resource is used with its type (an mmap result where an address is
//     wanted, an open result for a file descriptor, an alloc_pages result
//     for free_pages), and only on the task that defined it, after the
//     definition, or on a child forked after the definition;
//   - a task that some fork creates appears only after that fork, is
//     forked once, and is not also a task the program starts;
//   - no task has lines after its exit().
//
// The error is an ErrorList.
func Validate(p *Program) error {
	return validate(p, "", func(n int) string { return "r" + strconv.Itoa(n) }).Err()
}

type validator struct {
	p    *Program
	file string
	name func(int) string
	errs ErrorList
}

func (v *validator) errorf(pos Pos, call int, hint, format string, args ...any) {
	if len(v.errs) >= maxErrors {
		return
	}
	msg := fmt.Sprintf(format, args...)
	for _, e := range v.errs {
		// The calls a repeat expands to share their line: say it once.
		if pos.IsValid() && e.Pos == pos && e.Msg == msg {
			return
		}
	}
	v.errs = append(v.errs, &Error{File: v.file, Pos: pos, Call: call, Msg: msg, Hint: hint})
}

func validate(p *Program, file string, name func(int) string) ErrorList {
	v := &validator{p: p, file: file, name: name}
	v.header()
	v.calls()
	sortErrors(v.errs)
	return v.errs
}

func (v *validator) header() {
	h := &v.p.Header
	at := func(kw string) Pos { return h.Lines[kw] }
	if h.Mem != 0 && (h.Mem < mm.MinMemBytes || h.Mem > maxMem) {
		v.errorf(at("mem"), -1, "the model boots machines of 64M to 1T", "mem %s out of range", formatSize(h.Mem))
	} else if h.Mem > MemCap {
		v.errorf(at("mem"), -1, "pagesim run --max-mem raises the cap (a simulated page costs about 64 host bytes)",
			"mem %s is above the cap of %s", formatSize(h.Mem), formatSize(MemCap))
	}
	if h.Nodes < 0 || h.Nodes > maxNodes {
		v.errorf(at("nodes"), -1, "CONFIG_NODES_SHIFT=6: 1 to 64 nodes", "nodes %d out of range", h.Nodes)
	}
	if h.CPUs < 0 || h.CPUs > maxCPUs {
		v.errorf(at("cpus"), -1, "CONFIG_NR_CPUS=64: 1 to 64 CPUs", "cpus %d out of range", h.CPUs)
	}
	def := kernel.DefaultConfig()
	mem, nodes, cpus := def.MemBytes, def.Nodes, def.CPUs
	if h.Mem != 0 {
		mem = h.Mem
	}
	if h.Nodes > 0 {
		nodes = h.Nodes
	}
	if h.CPUs > 0 {
		cpus = h.CPUs
	}
	if cpus < nodes && nodes <= maxNodes {
		pos := at("cpus")
		if !pos.IsValid() {
			pos = at("nodes")
		}
		v.errorf(pos, -1, "every node needs a CPU: add cpus "+strconv.Itoa(nodes), "%d CPUs for %d nodes", cpus, nodes)
	}
	if nodes > 1 && nodes <= maxNodes && mem/uint64(nodes) < sectionSize && mem >= mm.MinMemBytes {
		v.errorf(at("nodes"), -1, "each node needs at least one 128M memory section", "mem %s is too small for %d nodes", formatSize(mem), nodes)
	}
	if h.MovableCore != 0 && h.MovableCore >= mem {
		v.errorf(at("movablecore"), -1, "movablecore is a part of mem", "movablecore %s not below mem %s", formatSize(h.MovableCore), formatSize(mem))
	}
	if h.Swap != 0 && (h.Swap < minSwap || h.Swap > maxSwap) {
		v.errorf(at("swap"), -1, "swap takes 8K (the mkswap header and a page) to 256G", "swap %s out of range", formatSize(h.Swap))
	}
	if h.Sched != "" && h.Sched != "roundrobin" && h.Sched != "random" {
		v.errorf(at("sched"), -1, "sched roundrobin or sched random", "unknown scheduling policy %q", h.Sched)
	}
	if h.Kernel != "" {
		if k, err := kernel.LookupKernel(h.Kernel); err != nil {
			v.errorf(at("kernel"), -1, "see 'pagesim kernels'", "%v", err)
		} else if _, err := k.PatchSet(h.Patches); err != nil {
			v.errorf(at("kernel"), -1, "see 'pagesim kernels' for the patches; +ID applies one, -ID reverts it", "%v", err)
		}
	} else if len(h.Patches) > 0 {
		v.errorf(at("kernel"), -1, "name the kernel the patches apply to: kernel v3.16 +ID", "patches without a kernel")
	}
	paths := map[string]bool{}
	for _, m := range h.Mounts {
		switch m.Type {
		case "ext4", "xfs":
			if m.Size == 0 {
				v.errorf(m.Pos, -1, "mount "+m.Type+" "+formatPath(m.Path)+" 1G", "mount %s: %s needs a disk size", m.Path, m.Type)
			}
		case "tmpfs":
		default:
			v.errorf(m.Pos, -1, "the filesystems are ext4, xfs and tmpfs", "mount %s: unknown filesystem type %q", m.Path, m.Type)
		}
		if len(m.Path) < 2 || m.Path[0] != '/' || strings.HasSuffix(m.Path, "/") || strings.Contains(m.Path, "//") || strings.IndexByte(m.Path, 0) >= 0 {
			v.errorf(m.Pos, -1, "a mount point is an absolute path below /, e.g. /mnt/ext4", "bad mount point %q", m.Path)
		}
		if paths[m.Path] {
			v.errorf(m.Pos, -1, "", "%s mounted twice", m.Path)
		}
		paths[m.Path] = true
		if m.Latency < 0 {
			v.errorf(m.Pos, -1, "", "mount %s: negative latency", m.Path)
		}
	}
	seen := map[string]bool{}
	for _, s := range h.Sysctls {
		info, ok := kernel.LookupSysctl(s.Name)
		if !ok {
			v.errorf(s.Pos, -1, sysctlHint(s.Name), "unknown sysctl %q", s.Name)
			continue
		}
		if seen[s.Name] {
			v.errorf(s.Pos, -1, "", "sysctl %s set twice", s.Name)
		}
		seen[s.Name] = true
		if s.Value < info.Min || s.Value > info.Max {
			v.errorf(s.Pos, -1, fmt.Sprintf("%s takes %d..%d", s.Name, info.Min, info.Max), "sysctl %s=%d out of range", s.Name, s.Value)
		}
	}
}

func sysctlHint(name string) string {
	switch name {
	case "vm.drop_caches":
		return "use the call drop_caches(N)"
	case "vm.compact_memory":
		return "use the call compact_memory()"
	}
	var names []string
	for _, s := range kernel.Sysctls() {
		names = append(names, s.Name)
	}
	return "the sysctls are " + strings.Join(names, ", ")
}

// taskProblem says what is wrong with a task name, or "".
func taskProblem(s string) string {
	if s == "" {
		return "empty task name"
	}
	if len(s) > taskCommLen {
		return fmt.Sprintf("task name %q longer than %d characters (TASK_COMM_LEN)", s, taskCommLen)
	}
	if !isLetter(s[0]) {
		return fmt.Sprintf("task name %q does not start with a letter", s)
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) && !isDigit(s[i]) && s[i] != '-' {
			return fmt.Sprintf("task name %q has %q in it", s, s[i:i+1])
		}
	}
	if isResName(s) {
		return fmt.Sprintf("task name %q looks like a resource", s)
	}
	return ""
}

const taskHint = "a task name is a letter then letters, digits, _ or -, at most 15 in all: main, writer-1"

type vtask struct {
	scope    []bool // resources it can see, by number
	exitLine Pos
	exited   bool
}

func (v *validator) calls() {
	p := v.p
	nres := p.NumResources()
	resType := make([]ResType, nres)
	resCall := make([]int, nres)
	// forkedAt: the first call that forks each task.
	forkedAt := map[string]int{}
	for i, c := range p.Calls {
		if c.Name == "fork" && len(c.Args) == 1 && c.Args[0].Kind == ArgStr {
			if _, ok := forkedAt[c.Args[0].Str]; !ok {
				forkedAt[c.Args[0].Str] = i
			}
		}
	}
	tasks := map[string]*vtask{}
	early := map[string]bool{} // tasks already reported as used before their fork
	res := 0
	if len(p.Calls) > MaxCalls {
		v.errorf(p.Calls[MaxCalls].Pos, MaxCalls, "split the workload, or loop with fewer, larger calls",
			"a program has at most %d calls", MaxCalls)
	}
	for i, c := range p.Calls {
		cpos := func(j int) Pos {
			if j >= 0 && j < len(c.Args) && c.Args[j].Pos.IsValid() {
				return c.Args[j].Pos
			}
			return c.Pos
		}
		if msg := taskProblem(c.Task); msg != "" {
			v.errorf(c.Pos, i, taskHint, "%s", msg)
		}
		t := tasks[c.Task]
		if t == nil {
			if fi, ok := forkedAt[c.Task]; ok && fi > i {
				v.errorf(c.Pos, i, "a child's lines come after the fork that creates it",
					"task %s used before fork(%s) at %s creates it", c.Task, c.Task, v.where(fi))
				early[c.Task] = true
			}
			if len(tasks) == MaxTasks {
				v.errorf(c.Pos, i, "fewer tasks, each doing more", "a program has at most %d tasks", MaxTasks)
			}
			t = &vtask{scope: make([]bool, nres)}
			tasks[c.Task] = t
		}
		if t.exited {
			v.errorf(c.Pos, i, "exit() ends the task; its later lines would never run", "%s: call after exit() at %s", c.Task, t.exitLine)
		}
		sig := LookupSyscall(c.Name)
		if sig == nil {
			v.errorf(c.Pos, i, callHint(c.Name), "unknown call %q", c.Name)
			if c.Def {
				res++
			}
			continue
		}
		if len(c.Args) != len(sig.Params) {
			v.errorf(c.Pos, i, sig.Usage(), "%s has %d arguments, want %d", c.Name, len(c.Args), len(sig.Params))
			if c.Def {
				res++
			}
			continue
		}
		for j, a := range c.Args {
			v.arg(i, c, t, sig, j, a, cpos(j), res, resType, resCall)
		}
		switch c.Name {
		case "fork":
			child := c.Args[0].Str
			if msg := taskProblem(child); msg != "" {
				v.errorf(cpos(0), i, taskHint, "%s", msg)
			} else if child == c.Task {
				v.errorf(cpos(0), i, "name the child: fork(child), then child: ... lines", "%s forks itself", c.Task)
			} else if _, exists := tasks[child]; exists && !early[child] {
				v.errorf(cpos(0), i, "each fork creates a new task", "fork(%s): task %s already exists", child, child)
			} else {
				tasks[child] = &vtask{scope: append([]bool(nil), t.scope...)}
			}
		case "exit":
			t.exited, t.exitLine = true, c.Pos
		case "mmap":
			if c.Args[2].Val != 0 && c.Args[3].Kind == ArgNum && int64(c.Args[3].Val) == -1 {
				v.errorf(c.Pos, i, "map a tmpfs file for shared memory: mmap(LEN, rw, shared, fd=rN)", "shared anonymous mappings are not modeled")
			}
		}
		if c.Def {
			if sig.Ret == ResNone {
				v.errorf(c.Pos, i, "only mmap, open and alloc_pages return resources", "%s returns no resource", c.Name)
			} else {
				resType[res] = sig.Ret
				resCall[res] = i
				t.scope[res] = true
			}
			res++
		}
	}
}

// where names call i for messages: its line, or its index.
func (v *validator) where(i int) string {
	if pos := v.p.Calls[i].Pos; pos.IsValid() {
		return "line " + strconv.Itoa(pos.Line)
	}
	return "call " + strconv.Itoa(i)
}

func (v *validator) arg(i int, c *Call, t *vtask, sig *Syscall, j int, a Arg, pos Pos, res int, resType []ResType, resCall []int) {
	p := sig.Params[j]
	bad := func(hint, format string, args ...any) {
		v.errorf(pos, i, hint, c.Name+": "+p.Name+": "+format, args...)
	}
	want := map[Kind]ResType{KindAddr: ResAddr, KindFD: ResFD, KindPages: ResPages}[p.Kind]
	switch a.Kind {
	case ArgRes:
		if want == ResNone {
			bad(sig.Usage(), "takes no resource")
			return
		}
		if a.Res < 0 || a.Res >= res {
			bad("a resource is defined before it is used", "undefined resource %s", v.name(a.Res))
			return
		}
		if resType[a.Res] != want {
			bad(sig.Usage(), "%s is %s (%s), want %s", v.name(a.Res), resType[a.Res], v.where(resCall[a.Res]), want)
			return
		}
		if !t.scope[a.Res] {
			def := v.p.Calls[resCall[a.Res]]
			bad("a task sees the resources it defined and those its parent had when it forked it",
				"%s (defined on task %s at %s) is not visible on task %s", v.name(a.Res), def.Task, v.where(resCall[a.Res]), c.Task)
			return
		}
		if a.Val != 0 && p.Kind != KindAddr {
			bad(sig.Usage(), "only an address takes an offset")
		}
		return
	case ArgStr:
		switch p.Kind {
		case KindPath:
			if strings.IndexByte(a.Str, 0) >= 0 {
				bad("", "path has a NUL byte")
			}
		case KindTask:
			// fork checks it
		case KindSysctl:
			if _, ok := kernel.LookupSysctl(a.Str); !ok {
				bad(sysctlHint(a.Str), "unknown sysctl %q", a.Str)
			}
		default:
			bad(sig.Usage(), "takes no string")
		}
		return
	}
	switch p.Kind {
	case KindPages:
		bad("pages are rN, the result of alloc_pages", "wants a resource")
	case KindPath, KindTask, KindSysctl:
		bad(sig.Usage(), "wants a name")
	case KindInt, KindFD:
		if n := int64(a.Val); n < p.Min || n > p.Max {
			bad("", "%d out of range %d..%d", n, p.Min, p.Max)
		}
	case KindDuration:
		if int64(a.Val) < 0 {
			bad(durationHint, "negative duration")
		}
	case KindEnum:
		if _, ok := wordName(p.Words, a.Val); !ok && (!p.Numeric || int64(a.Val) != int64(int32(a.Val))) {
			bad("one of "+wordNames(p.Words), "bad value %d", int64(a.Val))
		}
	case KindFlags:
		if a.Val > 1<<32-1 {
			bad("", "bad flags %#x", a.Val)
		}
	case KindGFP:
		if a.Val&^gfpMask != 0 {
			bad(gfpHint(), "GFP bits %#x beyond __GFP_BITS_SHIFT", a.Val&^gfpMask)
		}
	case KindBool:
		if a.Val > 1 {
			bad("", "bad boolean %d", a.Val)
		}
	}
}
