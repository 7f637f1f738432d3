// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"math"
	"sort"
	"strings"
)

// Kind is the type of a call's parameter.
type Kind int

const (
	KindSize     Kind = iota // byte count: 4096, 4K, 2M, 1G, 0x1000
	KindOffset               // signed byte offset: 0, 8K, -4K
	KindInt                  // integer in [Min, Max]
	KindAddr                 // address: rN, rN+SIZE, or a number
	KindFD                   // file descriptor: rN or an integer
	KindPages                // pages from alloc_pages: rN
	KindDuration             // virtual time: 0, 10ns, 5us, 2ms, 1s
	KindPath                 // "/mnt/ext4/f" (or bare /mnt/ext4/f)
	KindTask                 // the name of a new task
	KindSysctl               // vm.swappiness, ...
	KindEnum                 // one word (or a number, if Numeric)
	KindFlags                // words joined by |, or 0
	KindGFP                  // GFP_KERNEL|__GFP_COMP, ...
	KindBool                 // an option given as a bare word
)

// ResType is the type of a resource.
type ResType int

const (
	ResNone  ResType = iota
	ResAddr          // an address, from mmap
	ResFD            // a file descriptor, from open
	ResPages         // a block of pages, from alloc_pages
)

func (t ResType) String() string {
	switch t {
	case ResAddr:
		return "an address (from mmap)"
	case ResFD:
		return "a file descriptor (from open)"
	case ResPages:
		return "pages (from alloc_pages)"
	}
	return "nothing"
}

// Word is one named value of an enum or flag parameter.
type Word struct {
	Name  string
	Value uint64
}

// Param is one parameter of a call.
type Param struct {
	Name     string
	Kind     Kind
	Optional bool   // given as name=value (KindBool: as the bare name)
	Default  uint64 // value of an optional parameter not given
	Min, Max int64  // KindInt range
	Words    []Word // KindEnum, KindFlags
	Numeric  bool   // KindEnum: numbers are accepted too
	Meta     string // how the usage line shows it
}

// Syscall is the signature of a call.
type Syscall struct {
	Name   string
	Params []Param
	Ret    ResType
	Doc    string
}

// Usage is the call's usage line: mmap(LEN, PROT[, shared][, fd=FD][, off=OFF]).
func (s *Syscall) Usage() string {
	var b strings.Builder
	if s.Ret != ResNone {
		b.WriteString("rN = ")
	}
	b.WriteString(s.Name + "(")
	first := true
	for _, p := range s.Params {
		sep := ", "
		if first {
			sep = ""
		}
		switch {
		case !p.Optional:
			b.WriteString(sep + p.Meta)
		case p.Kind == KindBool:
			b.WriteString("[" + sep + p.Name + "]")
		default:
			b.WriteString("[" + sep + p.Name + "=" + p.Meta + "]")
		}
		first = false
	}
	b.WriteString(")")
	return b.String()
}

// required is the number of positional parameters.
func (s *Syscall) required() int {
	n := 0
	for _, p := range s.Params {
		if !p.Optional {
			n++
		}
	}
	return n
}

func (s *Syscall) param(name string) int {
	for i, p := range s.Params {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// Values of enum words.
const (
	protR  = 0
	protRW = 1
)

var protWords = []Word{{"r", protR}, {"rw", protRW}}
var touchWords = []Word{{"read", 0}, {"write", 1}}

var adviceWords = []Word{
	{"normal", 0}, {"random", 1}, {"sequential", 2}, {"willneed", 3}, {"dontneed", 4},
	{"remove", 9}, {"dontfork", 10}, {"dofork", 11}, {"mergeable", 12}, {"unmergeable", 13},
	{"hugepage", 14}, {"nohugepage", 15}, {"dontdump", 16}, {"dodump", 17},
	{"hwpoison", 100}, {"soft_offline", 101},
}

var msyncWords = []Word{{"async", 1}, {"invalidate", 2}, {"sync", 4}}

// tokenMax bounds data tokens: the model mixes tokens into 64 bits and
// keeps the top bit for zeroed ranges.
const tokenMax = 1<<62 - 1

func addr(meta string) Param { return Param{Name: strings.ToLower(meta), Kind: KindAddr, Meta: meta} }
func size(meta string) Param { return Param{Name: strings.ToLower(meta), Kind: KindSize, Meta: meta} }
func fd() Param {
	return Param{Name: "fd", Kind: KindFD, Meta: "FD", Min: math.MinInt32, Max: math.MaxInt32}
}
func tokenParam() Param {
	return Param{Name: "token", Kind: KindInt, Optional: true, Min: 0, Max: tokenMax, Meta: "N"}
}

var syscalls = []*Syscall{
	{Name: "mmap", Ret: ResAddr, Params: []Param{
		size("LEN"),
		{Name: "prot", Kind: KindEnum, Words: protWords, Meta: "PROT"},
		{Name: "shared", Kind: KindBool, Optional: true},
		{Name: "fd", Kind: KindFD, Optional: true, Default: negOne, Min: math.MinInt32, Max: math.MaxInt32, Meta: "FD"},
		{Name: "off", Kind: KindOffset, Optional: true, Meta: "OFF"},
	}, Doc: "map LEN bytes: anonymous memory, or the file open on fd= from offset off=; PROT is r or rw; shared is MAP_SHARED (default MAP_PRIVATE)"},
	{Name: "munmap", Params: []Param{addr("ADDR"), size("LEN")}, Doc: "unmap a range"},
	{Name: "madvise", Params: []Param{addr("ADDR"), size("LEN"),
		{Name: "advice", Kind: KindEnum, Words: adviceWords, Numeric: true, Meta: "ADVICE"}}, Doc: "give advice about a range"},
	{Name: "mlock", Params: []Param{addr("ADDR"), size("LEN")}, Doc: "lock a range in memory, faulting it in"},
	{Name: "munlock", Params: []Param{addr("ADDR"), size("LEN")}, Doc: "unlock a range"},
	{Name: "fork", Params: []Param{{Name: "task", Kind: KindTask, Meta: "TASK"}}, Doc: "fork a child process that runs the lines of TASK"},
	{Name: "exit", Doc: "exit the process"},
	{Name: "open", Ret: ResFD, Params: []Param{{Name: "path", Kind: KindPath, Meta: "PATH"},
		{Name: "create", Kind: KindBool, Optional: true}}, Doc: "open a file O_RDWR (O_CREAT with create)"},
	{Name: "close", Params: []Param{fd()}, Doc: "close a file descriptor"},
	{Name: "read", Params: []Param{fd(), size("LEN")}, Doc: "read at the file position and advance it"},
	{Name: "pread", Params: []Param{fd(), size("LEN"), {Name: "pos", Kind: KindOffset, Meta: "POS"}}, Doc: "read at POS"},
	{Name: "write", Params: []Param{fd(), size("LEN"), tokenParam()}, Doc: "write at the file position and advance it"},
	{Name: "pwrite", Params: []Param{fd(), size("LEN"), {Name: "pos", Kind: KindOffset, Meta: "POS"}, tokenParam()}, Doc: "write at POS"},
	{Name: "fsync", Params: []Param{fd()}, Doc: "write the file's dirty pages and wait"},
	{Name: "fdatasync", Params: []Param{fd()}, Doc: "fsync without the inode"},
	{Name: "ftruncate", Params: []Param{fd(), {Name: "size", Kind: KindOffset, Meta: "SIZE"}}, Doc: "set the file's size"},
	{Name: "unlink", Params: []Param{{Name: "path", Kind: KindPath, Meta: "PATH"}}, Doc: "remove a file's name"},
	{Name: "msync", Params: []Param{addr("ADDR"), size("LEN"), {Name: "flags", Kind: KindFlags, Words: msyncWords, Meta: "FLAGS"}},
		Doc: "flush shared file mappings (FLAGS: sync, async, invalidate, joined by |, or 0)"},
	{Name: "touch", Params: []Param{addr("ADDR"), size("LEN"), {Name: "op", Kind: KindEnum, Words: touchWords, Meta: "read|write"},
		{Name: "stride", Kind: KindSize, Optional: true, Meta: "SIZE"}, tokenParam()},
		Doc: "access one byte every stride= bytes (default a page) of a range, as the CPU would"},
	{Name: "pin", Params: []Param{addr("ADDR"), size("LEN"), {Name: "dur", Kind: KindDuration, Meta: "DUR"},
		{Name: "write", Kind: KindBool, Optional: true}},
		Doc: "hold references on a range's pages for DUR, as direct I/O does (get_user_pages)"},
	{Name: "sleep", Params: []Param{{Name: "dur", Kind: KindDuration, Meta: "DUR"}}, Doc: "sleep for DUR of virtual time"},
	{Name: "swapon", Params: []Param{{Name: "prio", Kind: KindInt, Optional: true, Default: negOne, Min: -1, Max: 32767, Meta: "N"}},
		Doc: "swap on the machine's swap disk"},
	{Name: "swapoff", Doc: "swap off the machine's swap disk"},
	{Name: "sysctl", Params: []Param{{Name: "name", Kind: KindSysctl, Meta: "NAME"},
		{Name: "value", Kind: KindInt, Min: math.MinInt64, Max: math.MaxInt64, Meta: "N"}}, Doc: "write a vm sysctl"},
	{Name: "compact_memory", Doc: "write /proc/sys/vm/compact_memory"},
	{Name: "oom_score_adj", Params: []Param{{Name: "value", Kind: KindInt, Min: math.MinInt32, Max: math.MaxInt32, Meta: "N"}},
		Doc: "write N to /proc/self/oom_score_adj"},
	{Name: "drop_caches", Params: []Param{{Name: "mode", Kind: KindInt, Min: math.MinInt32, Max: math.MaxInt32, Meta: "N"}},
		Doc: "write N to /proc/sys/vm/drop_caches"},
	{Name: "alloc_pages", Ret: ResPages, Params: []Param{
		{Name: "order", Kind: KindInt, Min: 0, Max: 63, Meta: "ORDER"},
		{Name: "gfp", Kind: KindGFP, Meta: "GFP"},
		{Name: "node", Kind: KindInt, Optional: true, Default: negOne, Min: -1, Max: 63, Meta: "N"},
	}, Doc: "a driver's alloc_pages_node(node, gfp, order)"},
	{Name: "free_pages", Params: []Param{{Name: "pages", Kind: KindPages, Meta: "PAGES"}}, Doc: "a driver's __free_pages of an alloc_pages block"},
}

const negOne = ^uint64(0)

var syscallByName = func() map[string]*Syscall {
	m := map[string]*Syscall{}
	for _, s := range syscalls {
		m[s.Name] = s
	}
	return m
}()

// LookupSyscall finds a call's signature.
func LookupSyscall(name string) *Syscall { return syscallByName[name] }

// Syscalls lists the calls, sorted by name.
func Syscalls() []*Syscall {
	out := append([]*Syscall(nil), syscalls...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func lookupWord(words []Word, name string) (uint64, bool) {
	for _, w := range words {
		if w.Name == name {
			return w.Value, true
		}
	}
	return 0, false
}

func wordName(words []Word, v uint64) (string, bool) {
	for _, w := range words {
		if w.Value == v {
			return w.Name, true
		}
	}
	return "", false
}

func wordNames(words []Word) string {
	var names []string
	for _, w := range words {
		names = append(names, w.Name)
	}
	return strings.Join(names, ", ")
}
