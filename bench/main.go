// Command bench runs spiped side by side with the reference spiped and
// reports medians, ranges and ratios: bulk throughput and CPU per byte, new
// connections per second, request/response latency, the cost of many held
// connections, and sealing/opening alone.
//
//	go run ./bench                  # full run, about 7 minutes
//	go run ./bench -quick           # reduced set, under a minute
//	go run ./bench -ours /usr/bin/spiped -quick   # the harness against itself
//	go run ./bench -json out.json -svg bench/results
//	go run ./bench -profile cpu.pprof            # CPU profiles of our daemons
//	go run ./bench -ours-args "--metrics 127.0.0.1:0 --log-connections"
//	                                # our daemons with extra options (their cost)
//
// Everything runs on loopback; the load and the services behind spiped -d
// run inside the harness.
package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const missingRef = "reference spiped not found: install it with `apt-get install -y spiped`"

type config struct {
	ours, ref   string
	oursOnly    bool
	quick       bool
	rounds      int
	duration    time.Duration
	warm        time.Duration // connection-rate runs: unmeasured load first (-warm)
	iters       int
	held        []int
	heldTimeout time.Duration
	benchtime   string
	only        *regexp.Regexp
	jsonPath    string
	svgDir      string
	profile     string
	profileN    int
	oursBuilt   bool     // ours was built from ./cmd/spiped, not given
	oursArgs    []string // more options for each of our daemons (-ours-args)
	args        []string
}

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&c.ours, "ours", "", "our spiped binary (default: go build ./cmd/spiped)")
	fs.StringVar(&c.ref, "ref", "/usr/bin/spiped", "reference spiped binary")
	fs.BoolVar(&c.oursOnly, "ours-only", false, "run our binary only")
	fs.BoolVar(&c.quick, "quick", false, "reduced set in under a minute (defaults below in brackets)")
	fs.IntVar(&c.rounds, "rounds", 3, "rounds per scenario and side [1]")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "measuring time of bulk and connection-rate runs [1.5s]")
	fs.DurationVar(&c.warm, "warm", 0, "connection-rate runs: load the fresh daemons this long, unmeasured, before measuring (their first seconds cost more: page faults, the heap's first growth)")
	fs.IntVar(&c.iters, "iters", 5000, "round trips per latency run [1000]")
	held := fs.String("held", "500,1000,2000,4000", "held-connection counts [200,400,800]")
	fs.DurationVar(&c.heldTimeout, "held-timeout", 60*time.Second, "time limit to open one set of held connections [10s]")
	fs.StringVar(&c.benchtime, "benchtime", "1s", "go test -benchtime for the crypto benchmarks [300ms]")
	only := fs.String("only", "", "run only scenarios whose name matches this regexp (bulk-1, bulk-8, connect, connect-f, latency, held-N, crypto; connect-hog, connect-f-hog, latency-hog: with a CPU hog on one core)")
	fs.StringVar(&c.jsonPath, "json", "", "write the results as JSON to this file (- for stdout, then no Markdown)")
	fs.StringVar(&c.svgDir, "svg", "", "write held.svg and throughput.svg into this directory")
	fs.StringVar(&c.profile, "profile", "", "instead of the report, CPU-profile our daemons (--pprof) during a bulk run into this file (-e) and its -d twin")
	fs.IntVar(&c.profileN, "profile-streams", 1, "streams of the profiled bulk run")
	oursArgs := fs.String("ours-args", "", "more options for every daemon of ours, split at spaces (e.g. \"--metrics 127.0.0.1:0 --log-connections\")")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.quick {
		quick := map[string]func(){
			"rounds":       func() { c.rounds = 1 },
			"duration":     func() { c.duration = 1500 * time.Millisecond },
			"iters":        func() { c.iters = 1000 },
			"held":         func() { *held = "200,400,800" },
			"held-timeout": func() { c.heldTimeout = 10 * time.Second },
			"benchtime":    func() { c.benchtime = "300ms" },
		}
		for name, apply := range quick {
			if !set[name] {
				apply()
			}
		}
	}
	for _, f := range strings.Split(*held, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("-held: bad count %q", f)
		}
		c.held = append(c.held, n)
	}
	if c.rounds < 1 || c.iters < 1 || c.duration <= 0 || c.heldTimeout <= 0 {
		return c, errors.New("-rounds, -iters, -duration and -held-timeout must be positive")
	}
	if c.warm < 0 {
		return c, errors.New("-warm must not be negative")
	}
	re, err := regexp.Compile(*only)
	if err != nil {
		return c, fmt.Errorf("-only: %w", err)
	}
	c.only = re
	c.oursArgs = strings.Fields(*oursArgs)
	c.args = args
	return c, nil
}

func main() {
	hogIfAsked()
	os.Exit(run())
}

func run() int {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "bench:", err); return 1 }

	if !cfg.oursOnly && cfg.profile == "" {
		if _, err := os.Stat(cfg.ref); err != nil {
			fmt.Fprintln(os.Stderr, missingRef)
			return 1
		}
	}
	if err := raiseFileLimit(cfg.held); err != nil {
		fmt.Fprintln(os.Stderr, "bench: warning:", err)
	}

	tmp, err := os.MkdirTemp("", "spiped-bench-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)
	p := newProcs()
	defer p.killAll()
	stopOnSignal(p, tmp)

	root, err := moduleRoot()
	if err != nil {
		return fail(err)
	}
	if cfg.ours == "" {
		if cfg.ours, err = buildOurs(root, tmp); err != nil {
			return fail(err)
		}
		cfg.oursBuilt = true
	}
	key, err := writeKey(tmp)
	if err != nil {
		return fail(err)
	}
	r := &runner{cfg: cfg, procs: p, key: key, res: &results{}, log: os.Stderr, heldCap: map[string]int{}}
	if cfg.profile != "" {
		return r.profileOurs()
	}

	sides := []side{{name: "ours", bin: cfg.ours, ours: true}}
	if !cfg.oursOnly {
		sides = append(sides, side{name: "reference", bin: cfg.ref})
	}
	r.res.Meta = describe(cfg, root)
	var scs []scenario
	for _, sc := range r.scenarios() {
		if cfg.only.MatchString(sc.name) {
			scs = append(scs, sc)
		}
	}
	r.runAll(scs, sides)
	if cfg.only.MatchString("crypto") {
		r.runCrypto(root)
	}

	if cfg.jsonPath != "-" {
		writeMarkdown(os.Stdout, r.res)
	}
	if cfg.jsonPath != "" {
		if err := writeJSON(cfg.jsonPath, r.res); err != nil {
			return fail(err)
		}
	}
	if cfg.svgDir != "" {
		if err := writeSVGs(cfg.svgDir, r.res); err != nil {
			return fail(err)
		}
	}
	return 0
}

// stopOnSignal kills the daemons and removes the temporary directory on
// Ctrl-C or SIGTERM, then exits.
func stopOnSignal(p *procs, tmp string) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		sig := <-ch
		fmt.Fprintf(os.Stderr, "bench: %v: stopping daemons\n", sig)
		p.killAll()
		os.RemoveAll(tmp)
		os.Exit(130)
	}()
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", errors.New("run from inside the spiped module (go env GOMOD is empty)")
	}
	return filepath.Dir(gomod), nil
}

// buildOurs compiles ./cmd/spiped into dir.
func buildOurs(root, dir string) (string, error) {
	bin := filepath.Join(dir, "spiped")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/spiped")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/spiped: %v\n%s", err, out)
	}
	return bin, nil
}

// writeKey makes a fresh 32-byte key file shared by all daemons.
func writeKey(dir string) (string, error) {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "key")
	return path, os.WriteFile(path, k, 0o600)
}

// describe records what ran where, for the report header.
func describe(cfg config, root string) meta {
	m := meta{
		Date:   time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		Go:     runtime.Version(),
		Cores:  runtime.NumCPU(),
		CPU:    cpuModel(),
		Rounds: cfg.rounds,
		Quick:  cfg.quick,
		Args:   cfg.args,
	}
	if out, err := exec.Command("git", "-C", root, "describe", "--always", "--dirty").Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	m.Ours = cfg.ours
	if cfg.oursBuilt {
		m.Ours = "./cmd/spiped built by the harness"
	}
	m.Ours += " (" + version(cfg.ours) + ")"
	if len(cfg.oursArgs) > 0 {
		m.Ours += " with " + strings.Join(cfg.oursArgs, " ")
	}
	m.Reference = "not run (-ours-only)"
	if !cfg.oursOnly {
		m.Reference = cfg.ref + " (" + version(cfg.ref) + ")"
	}
	return m
}

// version is what `spiped -v` prints (to stderr).
func version(bin string) string {
	out, _ := exec.Command(bin, "-v").CombinedOutput()
	if v := strings.TrimSpace(string(out)); v != "" && !strings.Contains(v, "\n") {
		return v
	}
	return "version unknown"
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
