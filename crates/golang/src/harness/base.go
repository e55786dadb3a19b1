// ---------------------------------------------------------------------------
// The harness. Everything below runs the design as a test of itself: seeded
// delays and outcomes stand for the real work, and after main returns the
// goroutines still alive are reported. To start real code from the skeleton
// above, replace the work_* functions and leave this part behind.
//
//	go run . -scenario completion|error|cancel -seed N [-perturb P] [-patience K]
//
// prints one JSON line: {"scenario":..,"seed":..,"gomaxprocs":..,"perturb":..,
// "main":"returned"|"stuck","deadlock":bool,"panic":null|{..},"alive":[..],
// "sched_latency_us":..,"cpu_wait_us":..}.
// ---------------------------------------------------------------------------

// errFailed is the model's `err`: what a failed work step returns.
var errFailed = errors.New("work failed")

// recovered is the model's `recover()`: `err` when it stopped a panic.
func recovered(r interface{}) error {
	if r != nil {
		return errFailed
	}
	return nil
}

// Task is a running task (one goroutine); done is closed when it exits.
type Task struct{ done chan struct{} }

// newTask makes the handle of a task about to start.
func newTask() *Task { return &Task{done: make(chan struct{})} }

// join waits until the task has exited (the model's `join`).
func (t *Task) join() { <-t.done }

// exit runs last in every task: it marks the task exited, and a panic
// ends the whole run with a report, as it would end a Go program.
func (t *Task) exit() {
	if r := recover(); r != nil {
		run.panicked(r)
	}
	close(t.done)
}

// Ctx is a context with its cancel function: every context of the model can
// be cancelled (`cancel(ctx)`), and cancellation flows down to its children.
type Ctx struct {
	context.Context
	cancel context.CancelFunc
}

// Cancel cancels the context (the model's `cancel(ctx)`).
func (c *Ctx) Cancel() { c.cancel() }

func derive(parent context.Context) *Ctx {
	ctx, cancel := context.WithCancel(parent)
	return &Ctx{ctx, cancel}
}

// background is the model's `background()`: a root nobody else cancels.
func background() *Ctx { return derive(context.Background()) }

// signalContext is the model's `signal()`: a root cancelled when the
// environment's signal (SIGTERM) arrives, at a seeded moment of the run.
func signalContext() *Ctx { return derive(run.signal) }

// withCancel is the model's `with_cancel(parent)`.
func withCancel(parent *Ctx) *Ctx { return derive(parent.Context) }

// withTimeout is the model's `with_timeout(parent)`, with a seeded deadline.
func withTimeout(parent *Ctx) *Ctx {
	ctx, cancel := context.WithTimeout(parent.Context, run.delay(maxDeadline))
	return &Ctx{ctx, cancel}
}

// simulateWork stands for a work step: it takes a short seeded time and
// fails only in the error scenario (seeded); with a context, it returns the
// context's error at once when the context is done, and early when the
// context is cancelled during the work.
func simulateWork(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fail := run.scenario == "error" && run.chance(workFailPercent)
	t := time.NewTimer(run.delay(maxWork))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	if fail {
		return errFailed
	}
	return nil
}

// The seeded delays, all short so that a run takes milliseconds.
// Work, deadlines, timers and `after` share one range, so that each of them
// wins the race against the others in some runs. None is shorter than
// minDelay: leash's time model lets time pass only once no goroutine can
// take an instant step (docs/semantics.md, "Time"), which holds in Go when
// a delay is long next to a few statements of scheduling.
const (
	minDelay        = 200 * time.Microsecond
	maxWork         = 2 * time.Millisecond
	maxSleep        = time.Millisecond
	maxAfter        = 2 * time.Millisecond
	maxTimer        = 2 * time.Millisecond
	minTick         = 200 * time.Microsecond
	maxTick         = time.Millisecond
	maxDeadline     = 2 * time.Millisecond
	maxSignal       = 8 * time.Millisecond
	workFailPercent = 40
)

// afterDelay is the delay of a select's `after` case.
func afterDelay() time.Duration { return run.delay(maxAfter) }

// sleepDelay is how long `sleep` sleeps.
func sleepDelay() time.Duration { return run.delay(maxSleep) }

// timerDelay is when a `timer()` fires.
func timerDelay() time.Duration { return run.delay(maxTimer) }

// tickPeriod is the period of a `ticker()`.
func tickPeriod() time.Duration { return minTick + run.delay(maxTick-minTick) }

// ref makes a shared cell (the model's `var`) holding v.
func ref[T any](v T) *T { return &v }

// inRange checks a store into an `int[lo..hi]` variable, as leash does.
func inRange(v, lo, hi int, name string) int {
	if v < lo || v > hi {
		if name == "" {
			panic(fmt.Sprintf("value %d out of range %d..%d", v, lo, hi))
		}
		panic(fmt.Sprintf("value %d out of range %d..%d of `%s`", v, lo, hi, name))
	}
	return v
}

// i16 checks the result of + and -: model integers have 16 bits.
func i16(v int) int {
	if v < math.MinInt16 || v > math.MaxInt16 {
		panic("integer overflow")
	}
	return v
}

// assert is the model's `assert`.
func assert(ok bool) {
	if !ok {
		panic("assertion failed")
	}
}

// choose picks one of n branches of the model's `choose` (seeded).
func choose(n int) int { return int(run.next() % uint64(n)) }

// array makes an array whose elements are made one by one.
func array[T any](n int, elem func() T) []T {
	a := make([]T, 0, n)
	for i := 0; i < n; i++ {
		a = append(a, elem())
	}
	return a
}

// repeat makes an array with the same value in every element.
func repeat[T any](n int, v T) []T {
	a := make([]T, n)
	for i := range a {
		a[i] = v
	}
	return a
}

// perturb is a point where the harness may yield the processor (seeded), so
// that runs explore other interleavings than the scheduler's favourite.
func perturb() {
	if run.perturb > 0 && int(run.next()%100) < run.perturb {
		runtime.Gosched()
	}
}

// How the harness watches a run (times -patience).
const (
	pollEvery = 2 * time.Millisecond
	// Longer than any seeded delay: goroutines that have not changed for
	// this long are blocked for good, or loop forever; four times as long
	// when one of them is running, sleeping or working.
	stableFor = 15 * time.Millisecond
	giveUp    = 150 * time.Millisecond
)

type harness struct {
	counter  uint64 // first: 64-bit aligned for atomic use
	horizon  int64  // when the last seeded delay drawn so far ends (Unix ns)
	seed     uint64
	scenario string
	perturb  int
	patience int
	signal   context.Context
	once     sync.Once
	waits    cpuWaits
}

var run harness

// next is the seeded random sequence, shared by every goroutine.
func (h *harness) next() uint64 {
	z := h.seed + atomic.AddUint64(&h.counter, 1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// delay draws a seeded delay in [minDelay, max); the goroutines are not
// reported before it ends.
func (h *harness) delay(max time.Duration) time.Duration {
	d := minDelay + time.Duration(h.next()%uint64(max-minDelay))
	end := time.Now().Add(d).UnixNano()
	for {
		old := atomic.LoadInt64(&h.horizon)
		if end <= old || atomic.CompareAndSwapInt64(&h.horizon, old, end) {
			return d
		}
	}
}

func (h *harness) chance(percent int) bool { return int(h.next()%100) < percent }

func main() {
	flag.StringVar(&run.scenario, "scenario", "completion", "completion, error or cancel")
	flag.Uint64Var(&run.seed, "seed", 1, "the seed of delays, outcomes and choices")
	flag.IntVar(&run.perturb, "perturb", 0, "percent of perturbation points that call runtime.Gosched")
	flag.IntVar(&run.patience, "patience", 1, "multiplies how long goroutines must stay unchanged to be reported")
	flag.Parse()
	if run.patience < 1 {
		run.patience = 1
	}
	var at time.Duration
	switch run.scenario {
	case "completion", "error":
		at = time.Millisecond + run.delay(maxSignal-time.Millisecond)
	case "cancel":
		if !run.chance(25) {
			at = run.delay(maxSignal / 2)
		}
	default:
		fmt.Fprintf(os.Stderr, "unknown scenario %q: use completion, error or cancel\n", run.scenario)
		os.Exit(2)
	}
	signal, fire := context.WithCancel(context.Background())
	run.signal = signal
	if at == 0 {
		fire()
	} else {
		time.AfterFunc(at, fire)
	}
	root := newTask()
	go start(root)
	run.watch(root)
}

// start runs the model: its variables, then main.
func start(root *Task) {
	schedBefore = schedLatencies()
	defer func() {
		if r := recover(); r != nil {
			run.panicked(r)
		}
	}()
	initModel()
	task_main(root)
}

type report struct {
	Scenario   string       `json:"scenario"`
	Seed       uint64       `json:"seed"`
	Gomaxprocs int          `json:"gomaxprocs"`
	Perturb    int          `json:"perturb"`
	Main       string       `json:"main"`
	Deadlock   bool         `json:"deadlock"`
	Panic      *panicReport `json:"panic"`
	Alive      []goroutine  `json:"alive"`
	// SchedLatencyUs is the longest a runnable goroutine waited to run
	// (the lower bound of the runtime's histogram bucket), in microseconds.
	// A wait longer than the shortest delay breaks leash's premise that
	// time passes only once no goroutine can take an instant step.
	SchedLatencyUs int64 `json:"sched_latency_us"`
	// CPUWaitUs bounds from above the longest a thread of the program
	// waited for the operating system to give it a CPU, in microseconds
	// (Linux; 0 elsewhere): a goroutine running on it was stalled that long,
	// which breaks the same premise and which the runtime cannot see.
	CPUWaitUs int64 `json:"cpu_wait_us"`
}

type panicReport struct {
	Task    string `json:"task"`
	Message string `json:"message"`
	Line    int    `json:"line"`
	GoLine  int    `json:"go_line"`
}

// goroutine is a task's goroutine in a stack dump.
type goroutine struct {
	id     string
	Task   string `json:"task"`
	Reason string `json:"reason"`
	Line   int    `json:"line"`
	GoLine int    `json:"go_line"`
}

// watch waits until main has returned and every task has exited, or until
// the tasks left have not changed for longer than any delay (counted from
// the end of the last seeded delay); then reports.
func (h *harness) watch(root *Task) {
	stable, limit := stableFor*time.Duration(h.patience), giveUp*time.Duration(h.patience)
	h.waits.sample()
	begin := time.Now()
	returned := false
	key, since := "", time.Now()
	for {
		time.Sleep(pollEvery)
		h.waits.sample()
		if !returned {
			select {
			case <-root.done:
				returned = true
				key, since = "", time.Now()
			default:
			}
		}
		if returned && runtime.NumGoroutine() == 1 {
			h.finish(report{Main: "returned"})
			return
		}
		gs := snapshot(false)
		if returned && len(gs) == 0 {
			h.finish(report{Main: "returned"})
			return
		}
		var b strings.Builder
		for _, g := range gs {
			fmt.Fprintf(&b, "%s %s %d %d;", g.id, g.Reason, g.Line, g.GoLine)
		}
		if b.String() != key {
			key, since = b.String(), time.Now()
		}
		// Unchanged since the last change, and since the last delay ended
		// (a goroutine waiting for the signal or a deadline is not stuck).
		from := since
		if end := time.Unix(0, atomic.LoadInt64(&h.horizon)); end.After(from) {
			from = end
		}
		quiet := time.Since(from)
		settled := quiet >= stable && (blocked(gs) || quiet >= 4*stable)
		if settled || time.Since(begin) >= limit {
			r := report{Main: "returned", Alive: gs}
			if !returned {
				r.Main = "stuck"
				r.Deadlock = settled && blocked(gs)
			}
			h.finish(r)
			return
		}
	}
}

// blocked tells whether every goroutine waits on something other than time.
func blocked(gs []goroutine) bool {
	for _, g := range gs {
		switch g.Reason {
		case "running", "sleep", "work":
			return false
		}
	}
	return true
}

// panicked reports the first panic of the run and ends it.
func (h *harness) panicked(r interface{}) {
	p := &panicReport{Message: fmt.Sprint(r)}
	if gs := snapshot(true); len(gs) == 1 {
		p.Task, p.Line, p.GoLine = gs[0].Task, gs[0].Line, gs[0].GoLine
	}
	h.finish(report{Main: "panicked", Panic: p})
}

func (h *harness) finish(r report) {
	h.once.Do(func() {
		r.Scenario, r.Seed, r.Perturb = h.scenario, h.seed, h.perturb
		r.Gomaxprocs = runtime.GOMAXPROCS(0)
		r.SchedLatencyUs = schedLatencyUs()
		r.CPUWaitUs = h.waits.longestUs()
		if r.Alive == nil {
			r.Alive = []goroutine{}
		}
		out, err := json.Marshal(r)
		if err != nil {
			panic(err)
		}
		fmt.Println(string(out))
		os.Exit(0)
	})
}

// schedBefore is the runtime's histogram of scheduling latencies when the
// model started: waits before it (the runtime's own start) do not count.
var schedBefore *metrics.Float64Histogram

// schedLatencies reads the runtime's histogram of how long goroutines
// stayed runnable before they ran (nil if the runtime has none).
func schedLatencies() *metrics.Float64Histogram {
	sample := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	return sample[0].Value.Float64Histogram()
}

// schedLatencyUs is the longest time a goroutine spent runnable before it
// ran since the model started, in microseconds: the lower bound of the
// highest bucket that grew.
func schedLatencyUs() int64 {
	h := schedLatencies()
	if h == nil {
		return 0
	}
	longest := 0.0
	for i, n := range h.Counts {
		if schedBefore == nil || i >= len(schedBefore.Counts) || n > schedBefore.Counts[i] {
			if n > 0 {
				longest = h.Buckets[i]
			}
		}
	}
	return int64(longest * 1e6)
}

// snapshot lists the goroutines that run model tasks (only the calling
// goroutine when self is set), from a stack dump.
func snapshot(self bool) []goroutine {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, !self)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var gs []goroutine
	for _, block := range strings.Split(string(buf), "\n\n") {
		if g, ok := parseGoroutine(block); ok {
			gs = append(gs, g)
		}
	}
	return gs
}

// parseGoroutine reads one goroutine of a stack dump: its wait reason, the
// task it runs (the outermost task_* frame) and where it is in the model
// (the innermost frame of the model's code).
func parseGoroutine(block string) (goroutine, bool) {
	lines := strings.Split(strings.TrimSpace(block), "\n")
	head := lines[0]
	open, end := strings.Index(head, "["), strings.LastIndex(head, "]")
	if !strings.HasPrefix(head, "goroutine ") || open < 0 || end < open {
		return goroutine{}, false
	}
	state := head[open+1 : end]
	if i := strings.Index(state, ","); i >= 0 {
		state = state[:i]
	}
	var funcs, places []string
	for i := 1; i+1 < len(lines) && !strings.HasPrefix(lines[i], "created by "); i += 2 {
		fn := lines[i]
		if p := strings.LastIndex(fn, "("); p > 0 {
			fn = fn[:p]
		}
		funcs = append(funcs, fn)
		places = append(places, strings.TrimSpace(lines[i+1]))
	}
	g := goroutine{id: strings.Fields(head)[1]}
	for i := len(funcs) - 1; i >= 0; i-- {
		if name := strings.TrimPrefix(funcs[i], "main.task_"); name != funcs[i] && !strings.Contains(name, ".") {
			g.Task = name
			if model, ok := modelTasks[name]; ok {
				g.Task = model
			}
			break
		}
	}
	if g.Task == "" {
		return goroutine{}, false
	}
	for i, fn := range funcs {
		if strings.HasPrefix(fn, "main.task_") || strings.HasPrefix(fn, "main.fn_") {
			place := places[i]
			if sp := strings.Index(place, " "); sp >= 0 {
				place = place[:sp]
			}
			if c := strings.LastIndex(place, ":"); c >= 0 {
				g.GoLine, _ = strconv.Atoi(place[c+1:])
				g.Line = modelLines[g.GoLine]
			}
			break
		}
	}
	g.Reason = reason(state, funcs)
	return g, true
}

// reason names a goroutine's wait in leash's words (Go's wait reasons,
// refined by the frames: a semacquire is a Mutex.Lock, a WaitGroup.Wait, ...).
func reason(state string, funcs []string) string {
	has := func(name string) bool {
		for _, f := range funcs {
			if strings.HasSuffix(f, name) {
				return true
			}
		}
		return false
	}
	switch {
	case has("main.simulateWork"):
		return "work"
	case has("main.(*Task).join"):
		return "join"
	case has("errgroup.(*Group).Wait"):
		return "errgroup.Group.Wait"
	case has("errgroup.(*Group).Go"):
		return "errgroup.Group.Go"
	case has("sync.(*Once).doSlow"):
		return "sync.Once.Do"
	case has("sync.(*Cond).Wait") && state == "sync.Cond.Wait":
		return "sync.Cond.Wait"
	case has("sync.(*WaitGroup).Wait"):
		return "sync.WaitGroup.Wait"
	case has("sync.(*RWMutex).RLock"):
		return "sync.RWMutex.RLock"
	case has("sync.(*Mutex).Lock") || has("sync.(*Mutex).lockSlow"):
		// Also a writer's RWMutex.Lock blocked by another writer: it
		// waits in the writers' mutex, as leash says.
		return "sync.Mutex.Lock"
	case has("sync.(*RWMutex).Lock"):
		return "sync.RWMutex.Lock"
	case state == "runnable" || state == "running" || state == "syscall":
		return "running"
	}
	return state
}

// cpuWaits follows how long the program's threads waited for a CPU, from
// the kernel's per-thread run-queue time (/proc/self/task/*/schedstat).
// Only the sum is kept there, so each sample (one per poll of the watcher)
// takes the growth since the last: a single wait lies within two
// consecutive samples, and the largest growth over two samples bounds it.
type cpuWaits struct {
	mu      sync.Mutex
	total   map[string]int64 // per thread: the run-queue time last read, ns
	growth  map[string]int64 // per thread: its growth at the last sample
	longest int64            // the largest growth over two samples, ns
}

// sample reads every thread's run-queue time (nothing where /proc has none);
// the first sample is where counting starts.
func (w *cpuWaits) sample() {
	w.mu.Lock()
	defer w.mu.Unlock()
	threads, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return
	}
	first := w.total == nil
	if first {
		w.total, w.growth = map[string]int64{}, map[string]int64{}
	}
	for _, t := range threads {
		stat, err := os.ReadFile("/proc/self/task/" + t.Name() + "/schedstat")
		fields := strings.Fields(string(stat))
		if err != nil || len(fields) < 2 {
			continue
		}
		waited, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue
		}
		grew := waited - w.total[t.Name()] // all of it for a thread started since
		if first {
			grew = 0
		}
		if two := grew + w.growth[t.Name()]; two > w.longest {
			w.longest = two
		}
		w.total[t.Name()], w.growth[t.Name()] = waited, grew
	}
}

// longestUs samples once more and gives the bound in microseconds.
func (w *cpuWaits) longestUs() int64 {
	w.sample()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.longest / 1000
}
