package klog

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
)

// The registry maps Go code to kernel symbols. It describes the program, not
// a machine, so it is global; packages fill it from init functions.
var registry = struct {
	sync.RWMutex
	pkgs    map[string]string // package path -> module name ("" = built-in)
	symbols map[string]string // Go function -> kernel symbol
	hidden  map[string]bool   // Go functions never shown
	entry   map[string]string // Go function -> assembly entry stub that calls it
}{
	pkgs:    map[string]string{},
	symbols: map[string]string{},
	hidden:  map[string]bool{},
	entry:   map[string]string{},
}

// RegisterPackage declares the functions of the Go package path to be kernel
// functions. module is the kernel module they belong to, printed as
// " [module]" after the symbol; "" means built into vmlinux.
//
//	klog.RegisterPackage("pagesim/mm", "")
//	klog.RegisterPackage("pagesim/fs/xfs", "xfs")
func RegisterPackage(path, module string) {
	registry.Lock()
	registry.pkgs[path] = module
	registry.Unlock()
}

// RegisterSymbol gives the kernel symbol of a Go function explicitly, for
// names SnakeCase cannot produce (leading underscores, ambiguous acronyms).
// goFunc is the package path and function name, without a method receiver:
//
//	klog.RegisterSymbol("pagesim/mm.rmqueueSmallest", "__rmqueue_smallest")
//
// The full runtime name ("pagesim/mm.(*Zone).rmqueueSmallest") is accepted
// too and takes precedence.
func RegisterSymbol(goFunc, symbol string) {
	registry.Lock()
	registry.symbols[goFunc] = symbol
	registry.Unlock()
}

// HideFunc keeps a Go function of a registered package out of call traces
// (a helper with no kernel counterpart). goFunc is named as for
// RegisterSymbol.
func HideFunc(goFunc string) {
	registry.Lock()
	registry.hidden[goFunc] = true
	registry.Unlock()
}

// RegisterEntry says that the Go function goFunc is entered from user mode
// through the assembly stub named entry (arch/x86/kernel/entry_64.S), as
// do_page_fault is from page_fault: a call trace through goFunc gets a frame
// of entry after goFunc's and ends there, as the kernel's stack does.
// goFunc is named as for RegisterSymbol.
func RegisterEntry(goFunc, entry string) {
	registry.Lock()
	registry.entry[goFunc] = entry
	registry.Unlock()
}

// entryStub returns the entry stub registered for a Go runtime function
// name, "" if none.
func entryStub(goFunc string) string {
	pkg, parts := splitFuncName(goFunc)
	if len(parts) == 0 {
		return ""
	}
	registry.RLock()
	defer registry.RUnlock()
	if e, ok := registry.entry[pkg+"."+strings.Join(parts, ".")]; ok {
		return e
	}
	return registry.entry[pkg+"."+parts[len(parts)-1]]
}

// KernelSymbol maps a Go runtime function name to its kernel symbol and
// module. ok is false for functions that never appear in a call trace:
// unregistered packages, closures, wrappers and hidden functions.
func KernelSymbol(goFunc string) (symbol, module string, ok bool) {
	pkg, parts := splitFuncName(goFunc)
	if len(parts) == 0 {
		return "", "", false
	}
	registry.RLock()
	defer registry.RUnlock()
	module, ok = registry.pkgs[pkg]
	if !ok {
		return "", "", false
	}
	name := parts[len(parts)-1]
	if isClosureName(name) || strings.HasSuffix(name, "-fm") {
		return "", "", false
	}
	full := pkg + "." + strings.Join(parts, ".")
	short := pkg + "." + name
	if registry.hidden[full] || registry.hidden[short] {
		return "", "", false
	}
	if s, found := registry.symbols[full]; found {
		return s, module, true
	}
	if s, found := registry.symbols[short]; found {
		return s, module, true
	}
	return SnakeCase(name), module, true
}

// splitFuncName splits a runtime function name into its package path and
// the dot-separated rest, with type parameters removed:
// "pagesim/mm.(*Zone).shrinkPageList" -> "pagesim/mm", ["(*Zone)",
// "shrinkPageList"].
func splitFuncName(fn string) (pkg string, parts []string) {
	if strings.IndexByte(fn, '[') >= 0 {
		var b strings.Builder
		depth := 0
		for i := 0; i < len(fn); i++ {
			switch c := fn[i]; {
			case c == '[':
				depth++
			case c == ']':
				depth--
			case depth == 0:
				b.WriteByte(c)
			}
		}
		fn = b.String()
	}
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return fn, nil
	}
	pkg = fn[:slash+1+dot]
	return pkg, strings.Split(fn[slash+1+dot+1:], ".")
}

// isClosureName reports whether a name component is one the compiler gives
// to function literals and go/defer wrappers ("func1", "1", "gowrap2").
func isClosureName(s string) bool {
	for _, p := range []string{"func", "gowrap", "deferwrap"} {
		if strings.HasPrefix(s, p) && len(s) > len(p) {
			s = s[len(p):]
			break
		}
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// SnakeCase converts a Go-case kernel function name to the kernel's
// snake_case: "shrinkPageList" -> "shrink_page_list", "allocPagesVMA" ->
// "alloc_pages_vma", "xfsVMWritepage" -> "xfs_vm_writepage",
// "ext4Writepage" -> "ext4_writepage". A word break comes before an upper
// case letter that follows a lower case letter or digit, and before the
// last capital of an acronym that is followed by a lower case letter.
// Underscores already present are kept.
func SnakeCase(name string) string {
	b := make([]byte, 0, len(name)+8)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isUpper(c) {
			if i > 0 && name[i-1] != '_' {
				prev := name[i-1]
				nextLower := i+1 < len(name) && isLower(name[i+1])
				if isLower(prev) || isDigit(prev) || (isUpper(prev) && nextLower) {
					b = append(b, '_')
				}
			}
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

// MaxDepth is the number of frames a Trace keeps, innermost first.
const MaxDepth = 64

// Trace is a captured call stack: program counters only, symbolized when
// Frames is called. The zero Trace is empty.
type Trace struct {
	n  int
	pc [MaxDepth]uintptr
}

// Callers captures the calling goroutine's stack. skip 0 makes the caller of
// Callers the innermost frame; skip 1 starts at its caller, and so on
// (inlined calls count as frames). It does no symbolization and does not
// allocate.
func Callers(skip int) Trace {
	var t Trace
	t.n = runtime.Callers(skip+2, t.pc[:])
	return t
}

// Len returns the number of Go frames captured (before inline expansion
// and filtering).
func (t *Trace) Len() int { return t.n }

// Frames returns the kernel frames of the trace, innermost first. The
// innermost frame's offset is that of an unspecified call site in it.
func (t *Trace) Frames() []Frame {
	return layout(t.symbols(), "", "")
}

// Frame is one kernel frame of a call trace.
type Frame struct {
	Func   string // the Go function (runtime name)
	Symbol string // kernel symbol, e.g. "shrink_page_list"
	Module string // kernel module, "" if built in
	Start  uint64 // symbol's address
	Size   uint64 // symbol's size
	Offset uint64 // return address - Start
}

// Addr returns the frame's return address.
func (f Frame) Addr() uint64 { return f.Start + f.Offset }

// String formats the frame as printk's %pS and %pB do:
// "shrink_page_list+0x8f9/0xb90", "xfs_vm_writepage+0x5ce/0x630 [xfs]".
func (f Frame) String() string {
	s := fmt.Sprintf("%s+%#x/%#x", f.Symbol, f.Offset, f.Size)
	if f.Module != "" {
		s += " [" + f.Module + "]"
	}
	return s
}

// TraceLine formats the frame as a "Call Trace:" line of v3.16 x86_64
// (printk_stack_address, reliable frame): " [<ffffffff8165e8b4>]
// dump_stack+0x4e/0x7a".
func (f Frame) TraceLine() string {
	return fmt.Sprintf(" [<%016x>] %s", f.Addr(), f.String())
}

// symRef is a kernel frame before its addresses are assigned.
type symRef struct {
	fn, sym, module string
}

// symbols expands the trace (inlined calls included) and keeps the kernel
// frames.
func (t *Trace) symbols() []symRef {
	if t.n == 0 {
		return nil
	}
	var out []symRef
	frames := runtime.CallersFrames(t.pc[:t.n])
	for {
		f, more := frames.Next()
		if f.Function != "" && f.File != "<autogenerated>" {
			if sym, mod, ok := KernelSymbol(f.Function); ok {
				out = append(out, symRef{fn: f.Function, sym: sym, module: mod})
				if e := entryStub(f.Function); e != "" {
					// Below the entry stub is user mode: the trace ends.
					return append(out, symRef{sym: e})
				}
			}
		}
		if !more {
			break
		}
	}
	return out
}

// firstGoFunc returns the innermost Go function of the trace, whatever its
// package.
func (t *Trace) firstGoFunc() string {
	if t.n == 0 {
		return ""
	}
	f, _ := runtime.CallersFrames(t.pc[:t.n]).Next()
	return f.Function
}

// layout assigns addresses. Each frame's offset depends on its own symbol
// and on the symbol it called (the next frame inward); the innermost frame
// calls innerCallee, at the kernel source position site.
func layout(refs []symRef, innerCallee, site string) []Frame {
	out := make([]Frame, len(refs))
	callee := innerCallee
	for i, r := range refs {
		s := site
		if i > 0 {
			s = ""
		}
		if r.fn == "" {
			// An assembly stub (an entry point): no Go counterpart.
			out[i] = kernelFrame(r.sym, callee)
		} else {
			out[i] = makeFrame(r, callee, s)
		}
		callee = r.sym
	}
	return out
}

// Symbol layout: built-in symbols lie in the kernel text from
// 0xffffffff81000000, module symbols in the module area from
// 0xffffffffc0000000 (as with CONFIG_RANDOMIZE_BASE in v3.16).
const (
	kernelTextBase = 0xffffffff81000000
	kernelTextSpan = 0x00800000
	moduleBase     = 0xffffffffc0000000
	moduleSlots    = 0x400
	moduleSlot     = 0x1000
	moduleSpan     = 0x00080000
	minSymbolSize  = 0x20
	maxSymbolSize  = 0xc00
	minCallOffset  = 5 // a call instruction is at least 5 bytes long
)

func fnv64(parts ...string) uint64 {
	h := uint64(14695981039346656037)
	for i, p := range parts {
		if i > 0 {
			h ^= 0xff // separator: no name contains this byte
			h *= 1099511628211
		}
		for j := 0; j < len(p); j++ {
			h ^= uint64(p[j])
			h *= 1099511628211
		}
	}
	return h
}

// SymbolExtent returns the address and size a kernel symbol is given. They
// depend only on the names, so every build prints the same addresses.
func SymbolExtent(symbol, module string) (start, size uint64) {
	h := fnv64(module, symbol)
	size = minSymbolSize + (h>>40)%(maxSymbolSize-minSymbolSize+1)
	if module == "" {
		start = kernelTextBase + (h%kernelTextSpan)&^0xf
	} else {
		mb := moduleBase + (fnv64(module)%moduleSlots)*moduleSlot
		start = mb + (h%moduleSpan)&^0xf
	}
	return start, size
}

func makeFrame(r symRef, callee, site string) Frame {
	start, size := SymbolExtent(r.sym, r.module)
	off := minCallOffset + fnv64(r.module, r.sym, callee, site)%(size-minCallOffset)
	return Frame{Func: r.fn, Symbol: r.sym, Module: r.module, Start: start, Size: size, Offset: off}
}

// kernelFrame makes a frame of a kernel function that has no Go
// counterpart (dump_stack, warn_slowpath_common, ...). The report
// machinery's own frames get the sizes and offsets of a typical v3.16
// x86_64 build, so its reports look familiar.
func kernelFrame(sym, callee string) Frame {
	f := makeFrame(symRef{sym: sym}, callee, "")
	if k, ok := typicalFrames[sym]; ok {
		f.Size, f.Offset = k.size, k.offset
	}
	return f
}

var typicalFrames = map[string]struct{ size, offset uint64 }{
	"dump_stack":           {0x56, 0x45},
	"warn_slowpath_common": {0xa0, 0x7d},
	"warn_slowpath_null":   {0x20, 0x1a},
	"warn_slowpath_fmt":    {0x50, 0x46},
	"panic":                {0x1c3, 0xbb},
	// arch/x86/kernel/entry_64.S's page_fault: errorentry, then the call
	// of do_page_fault at +0x22, returning to +0x28.
	"page_fault": {0x30, 0x28},
}
