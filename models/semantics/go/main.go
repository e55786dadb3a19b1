package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

var probes = map[string]func() string{
	"default_misses_unparked_sender": func() string {
		ch := make(chan int)
		go func() { ch <- 1 }()
		select {
		case <-ch:
			return "recv"
		default:
			return "default"
		}
	},
	"error_and_timeout": func() string {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(1+randn(2000))*time.Microsecond)
		defer cancel()
		errc := make(chan error)
		done := make(chan struct{})
		go func() {
			work(2 * time.Millisecond)
			if randn(2) == 0 {
				errc <- context.Canceled
			} else {
				close(done)
			}
		}()
		select {
		case <-errc:
			return "err"
		case <-done:
			return "done"
		case <-ctx.Done():
			return "timeout"
		}
	},
	"wg_reused": func() string {
		var wg sync.WaitGroup
		wg.Add(1)
		fin := make(chan struct{})
		go func() { wg.Done(); wg.Add(1); work(time.Millisecond); wg.Done(); close(fin) }()
		wg.Wait()
		<-fin
		return "ok"
	},
	"two_ticker_loops": func() string {
		ctx, _ := signalCtx(20 * time.Millisecond)
		var wg sync.WaitGroup
		beat := func() {
			defer wg.Done()
			t := time.NewTicker(time.Duration(100+randn(900)) * time.Microsecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					work(500 * time.Microsecond)
				}
			}
		}
		wg.Add(2)
		go beat()
		go beat()
		wg.Wait()
		return "ok"
	},
	"busy_poll_deadline": func() string {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return "ok"
			default:
			}
		}
	},
	"after_never_beats_ready": func() string {
		ch := make(chan int, 1)
		ch <- 1
		select {
		case <-ch:
			return "ready"
		case <-time.After(time.Duration(1+randn(1000)) * time.Microsecond):
			return "AFTER"
		}
	},
	"timer_not_before_ready": func() string {
		t := time.NewTimer(time.Duration(1+randn(1000)) * time.Microsecond)
		defer t.Stop()
		ch := make(chan int, 1)
		ch <- 1
		select {
		case <-ch:
			return "ready"
		case <-t.C:
			return "TIMER"
		}
	},
	"cond_fifo": func() string {
		var mu sync.Mutex
		c := sync.NewCond(&mu)
		ready := make(chan struct{}, 1)
		waiter := func(done chan struct{}) {
			mu.Lock()
			ready <- struct{}{}
			c.Wait()
			mu.Unlock()
			close(done)
		}
		d1, d2 := make(chan struct{}), make(chan struct{})
		go waiter(d1)
		<-ready
		mu.Lock()
		mu.Unlock()
		go waiter(d2)
		<-ready
		mu.Lock()
		c.Signal()
		mu.Unlock()
		<-d1
		mu.Lock()
		c.Signal()
		mu.Unlock()
		<-d2
		return "ok"
	},
	"default_send_misses_receiver": func() string {
		ch := make(chan int)
		done := make(chan struct{})
		go func() { <-ch; close(done) }()
		select {
		case ch <- 1:
		default:
		}
		<-done
		return "ok"
	},
	"default_after_work": func() string {
		ctx, _ := signalCtx(2 * time.Millisecond)
		work(2 * time.Millisecond)
		if ctx.Err() != nil {
			ack := make(chan int)
			go func() { work(time.Millisecond); ack <- 1 }()
			select {
			case <-ack:
				return "acked"
			default:
				return "default"
			}
		}
		return "no signal"
	},
	"busy_poll_err": func() string {
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		for ctx.Err() == nil {
			work(100 * time.Microsecond)
		}
		return "ok"
	},
	"ticker_producer": func() string {
		ctx, _ := signalCtx(10 * time.Millisecond)
		items := make(chan int, 1)
		cdone := make(chan struct{})
		go func() {
			for range items {
				work(300 * time.Microsecond)
			}
			close(cdone)
		}()
		pdone := make(chan struct{})
		go func() {
			defer close(pdone)
			defer close(items)
			t := time.NewTicker(200 * time.Microsecond)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					items <- 1
				}
			}
		}()
		<-pdone
		<-cdone
		return "ok"
	},
	"two_pollers_after": func() string {
		ctx, _ := signalCtx(10 * time.Millisecond)
		var wg sync.WaitGroup
		poll := func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Duration(100+randn(500)) * time.Microsecond):
					work(300 * time.Microsecond)
				}
			}
		}
		wg.Add(2)
		go poll()
		go poll()
		wg.Wait()
		return "ok"
	},
	"cache_janitor": func() string {
		var mu sync.Mutex
		quit := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(200 * time.Microsecond)
			defer t.Stop()
			for {
				select {
				case <-quit:
					return
				case <-t.C:
					mu.Lock()
					work(100 * time.Microsecond)
					mu.Unlock()
				}
			}
		}()
		for i := 0; i < 2; i++ {
			mu.Lock()
			work(300 * time.Microsecond)
			mu.Unlock()
		}
		close(quit)
		<-done
		return "ok"
	},
	"defer_args": func() string {
		ch := make(chan int, 1)
		defer close(ch)
		ch = nil
		return "ok"
	},
	"work_ties_lost_update": func() string {
		count := 0
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Millisecond) // two computations of the same length
				v := count
				for j := 0; j < 100000; j++ { // the rest of the update
					v += j & 1
				}
				count = v - 50000 + 1
			}()
		}
		wg.Wait()
		if count != 2 {
			return "lost update"
		}
		return "ok"
	},
	"unguarded_pushes": func() string {
		for round := 0; round < 100; round++ {
			var q []int
			var wg sync.WaitGroup
			start := make(chan struct{})
			for v := 1; v <= 2; v++ {
				wg.Add(1)
				go func(v int) { defer wg.Done(); <-start; q = append(q, v) }(v)
			}
			close(start)
			wg.Wait()
			if len(q) != 2 {
				return "element lost"
			}
		}
		return "ok"
	},
	"unguarded_pop_races_push": func() string {
		for round := 0; round < 100; round++ {
			q := []int{1}
			var wg sync.WaitGroup
			wg.Add(2)
			start := make(chan struct{})
			go func() { defer wg.Done(); <-start; q = q[1:] }()
			go func() { defer wg.Done(); <-start; q = append(q, 2) }()
			close(start)
			wg.Wait()
			switch len(q) {
			case 0:
				return "pushed element lost"
			case 2:
				return "popped element back"
			}
		}
		return "ok"
	},
	"unguarded_map_writes": func() string {
		m := map[int]bool{}
		var wg sync.WaitGroup
		for k := 1; k <= 2; k++ {
			wg.Add(1)
			go func(k int) { defer wg.Done(); m[k] = true }(k)
		}
		wg.Wait()
		return "ok"
	},
	"map_read_beside_write": func() string {
		m := map[int]bool{1: true}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); m[2] = true }()
		go func() { defer wg.Done(); _ = m[1] }()
		wg.Wait()
		return "ok"
	},
	"map_delete_last_beside_read": func() string {
		for round := 0; round < 1000; round++ {
			m := map[int]bool{1: true}
			var wg sync.WaitGroup
			wg.Add(2)
			var ready int32
			together := func() { // a spin barrier: both start at once
				atomic.AddInt32(&ready, 1)
				for atomic.LoadInt32(&ready) < 2 {
				}
			}
			go func() { defer wg.Done(); together(); _ = m[1] }()
			go func() { defer wg.Done(); together(); delete(m, 1) }()
			wg.Wait()
		}
		return "ok"
	},
	"range_var_after_loop": func() string {
		ch := make(chan int, 2)
		ch <- 5
		ch <- 7
		close(ch)
		var seen []int
		func() {
			for v := range ch {
				defer func() { seen = append(seen, v) }()
			}
		}()
		m := map[int]int{1: 10}
		func() {
			for k, v := range m {
				defer func() { seen = append(seen, k, v) }()
			}
		}()
		return fmt.Sprint(seen)
	},
	// an_inner_loops_variable_is_new_each_time_the_loop_starts: Go 1.19
	// makes `i` once per run of the inner for statement.
	"inner_loop_var_per_run": func() string {
		var seen []int
		func() {
			for j := 0; j < 2; j++ {
				for i := 0; i < 2; i++ {
					defer func() { seen = append(seen, i) }()
					if i == j {
						break
					}
				}
			}
		}()
		return fmt.Sprint(seen)
	},
	// a_deferred_block_sees_a_later_write_to_its_rounds_variable.
	"deferred_block_sees_later_write": func() string {
		var seen []int
		func() {
			for i := 0; i < 2; i++ {
				c := i
				defer func() { seen = append(seen, c) }()
				c += 10
			}
		}()
		return fmt.Sprint(seen)
	},
	// a_cond_wait_stays_on_the_cond_it_began_on: a reset replaces the cond
	// while a consumer waits on the old one; the new one is signalled.
	"cond_wait_stays_on_its_cond": func() string {
		var mu sync.Mutex
		ready := sync.NewCond(&mu)
		n := 0
		var woken int32
		go func() {
			mu.Lock()
			for n == 0 {
				ready.Wait()
			}
			mu.Unlock()
			atomic.StoreInt32(&woken, 1)
		}()
		time.Sleep(time.Millisecond)
		mu.Lock()
		ready = sync.NewCond(&mu)
		n = 1
		ready.Signal()
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		if atomic.LoadInt32(&woken) == 1 {
			return "woken"
		}
		return "still waiting on the old cond"
	},
	// wait_on_a_wait_group_left_negative_blocks.
	"wait_on_negative_waitgroup": func() string {
		var wg sync.WaitGroup
		wg.Add(1)
		func() {
			defer func() { _ = recover() }()
			wg.Done()
			wg.Done()
		}()
		returned := make(chan struct{})
		go func() { wg.Wait(); close(returned) }()
		select {
		case <-returned:
			return "wait returned"
		case <-time.After(5 * time.Millisecond):
			return "wait blocked"
		}
	},
	// a_shared_let_passed_to_a_task_is_copied: `go worker(gen)` copies the
	// variable a closure assigns.
	"shared_variable_passed_by_value": func() string {
		gen := 0
		reload := func() { gen++ }
		saw := make(chan int)
		goOn := make(chan struct{})
		go func(gen int) { <-goOn; saw <- gen }(gen)
		reload()
		close(goOn)
		return fmt.Sprint("worker saw ", <-saw, ", main has ", gen)
	},
	// a_goroutine_started_by_a_goroutine_writes_mains_variable.
	"nested_closure_shares_variable": func() string {
		var first error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var inner sync.WaitGroup
			inner.Add(1)
			go func() { defer inner.Done(); first = context.Canceled }()
			inner.Wait()
		}()
		wg.Wait()
		return fmt.Sprint(first)
	},
	// a_sender_may_complete_either_case_of_a_parked_select_on_one_channel.
	"parked_select_same_channel": func() string {
		c := make(chan int)
		go func() { work(time.Millisecond); c <- 1 }()
		select {
		case <-c:
			return "first case"
		case <-c:
			return "second case"
		}
	},
	// a_timer_may_fire_into_either_case_on_it.
	"timer_into_either_case": func() string {
		t := time.NewTimer(time.Millisecond)
		select {
		case <-t.C:
			return "first case"
		case <-t.C:
			return "second case"
		}
	},
	// a_sender_woken_by_a_close_panics_when_it_runs: which goroutine panics first.
	"woken_sender_panics_when_it_runs": func() string {
		var mu sync.Mutex
		first := ""
		note := func(who string) {
			if recover() != nil {
				mu.Lock()
				if first == "" {
					first = who
				}
				mu.Unlock()
			}
		}
		c := make(chan int)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); defer note("worker"); work(time.Millisecond); close(c); c <- 1 }()
		go func() { defer wg.Done(); defer note("parked sender"); c <- 0 }()
		wg.Wait()
		return "first panic: " + first
	},
	// a_tick_due_with_a_timer_waits_behind_its_value: after the limit's
	// value is taken and the ticker stopped, a tick may still wait (the
	// limit made first is due a little before the tick due with it).
	"tick_due_with_a_timer": func() string {
		limit := time.NewTimer(10 * time.Millisecond)
		tick := time.NewTicker(time.Millisecond)
		for {
			select {
			case <-tick.C:
			case <-limit.C:
				tick.Stop()
				select {
				case <-tick.C:
					return "a tick waits"
				default:
					return "no tick waits"
				}
			}
		}
	},
	// a_stray_runlock_behind_a_writer_with_a_queued_reader_is_not_fatal.
	"stray_runlock_behind_a_writer": func() string {
		var rw sync.RWMutex
		rw.Lock()
		done := make(chan struct{})
		go func() {
			rw.RLock()
			rw.RUnlock()
			close(done)
		}()
		time.Sleep(time.Millisecond)
		rw.RUnlock()
		rw.Unlock()
		select {
		case <-done:
			return "the reader got in"
		case <-time.After(50 * time.Millisecond):
			return "the reader is stuck"
		}
	},
	// a_timer_due_with_another_may_fire_after_its_handoff: the worker's
	// timer is due just after the moment Linux's poller wakes the pass that
	// fires main's 300 µs limit (about 1.075 ms).
	"timer_due_after_the_pass_fires_after_the_handoff": func() string {
		limit := time.NewTimer(300 * time.Microsecond)
		defer limit.Stop()
		req := make(chan struct{}, 1)
		res := make(chan string, 1)
		ready := make(chan struct{})
		go func() {
			t := time.NewTimer(time.Duration(1070+randn(10)) * time.Microsecond)
			defer t.Stop()
			close(ready)
			select {
			case <-t.C:
				res <- "timer first"
			case <-req:
				select {
				case <-t.C:
					res <- "the timer fired after the handoff"
				default:
					res <- "request, timer not fired"
				}
			}
		}()
		<-ready
		<-limit.C
		req <- struct{}{}
		return <-res
	},
	// a_late_tick_may_be_followed_at_once_by_the_next: a period as short as
	// the runtime's timer granularity (the harness's 200 µs to 1 ms).
	"late_tick_then_next_at_once": func() string {
		t := time.NewTicker(time.Duration(200+randn(800)) * time.Microsecond)
		defer t.Stop()
		<-t.C
		select {
		case <-t.C:
			return "a second tick waits"
		default:
			return "no second tick"
		}
	},
	// a_hot_loop_making_timers_holds_back_no_other_deadline.
	"hot_loop_timers_outer_deadline": func() string {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond)
		defer cancel()
		items := make(chan int)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			handOff(ctx, items)
		}()
		go func() {
			defer wg.Done()
			stopFreshTimers(ctx, items, time.Second)
		}()
		wg.Wait()
		return "returned"
	},
	// a_timer_made_on_a_hot_cycle_is_not_aged_by_a_deadline_beside_it.
	"hot_loop_fresh_timer_beside_deadline": func() string {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond)
		defer cancel()
		items := make(chan int)
		stopped := make(chan bool, 1)
		go handOff(ctx, items)
		go func() { stopped <- stopFreshTimers(ctx, items, 10*time.Millisecond) }()
		if !<-stopped {
			return "a fresh timer fired before its stop"
		}
		return "every fresh timer stopped"
	},
	// a_hot_cycle_beside_a_ticker_still_ends_at_its_deadline.
	"hot_cycle_beside_ticker_deadline": func() string {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		items := make(chan int)
		var wg sync.WaitGroup
		wg.Add(3)
		go func() {
			defer wg.Done()
			handOff(ctx, items)
		}()
		go func() {
			defer wg.Done()
			stopFreshTimers(ctx, items, 50*time.Millisecond)
		}()
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-tick.C:
				case <-ctx.Done():
					return
				}
			}
		}()
		wg.Wait()
		return "returned"
	},
	// an_idle_timer_replaced_on_every_item_leaves_the_deadline_due.
	"idle_timer_replaced_per_item": func() string {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		items := make(chan int)
		done := make(chan struct{})
		go func() {
			defer close(done)
			handOff(ctx, items)
		}()
		t := time.NewTimer(50 * time.Millisecond)
		out := "returned"
	loop:
		for {
			select {
			case <-items:
				t.Stop()
				t = time.NewTimer(50 * time.Millisecond)
			case <-t.C:
				out = "the idle timer fired"
			case <-ctx.Done():
				break loop
			}
		}
		t.Stop()
		<-done
		return out
	},
	// a_per_request_timer_on_a_hot_server_beside_a_ticker_still_ends_at_the_deadline.
	"per_request_timer_hot_server_ticker": func() string {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		req, resp := make(chan int), make(chan int)
		done := make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-req:
					resp <- 1
				case <-tick.C:
				case <-ctx.Done():
					return
				}
			}
		}()
		out := "returned"
	loop:
		for {
			t := time.NewTimer(50 * time.Millisecond)
			select {
			case req <- 1:
			case <-ctx.Done():
				t.Stop()
				break loop
			}
			select {
			case <-resp:
			case <-t.C:
				out = "a request timed out"
			}
			t.Stop()
		}
		<-done
		return out
	},
}

func main() {
	name := os.Args[1]
	runMany(name, atoi(os.Args[2]), probes[name])
}

// handOff is an in-memory source: it hands items over until ctx is done,
// never waiting for time (a hot cycle with its reader).
func handOff(ctx context.Context, items chan<- int) {
	for {
		select {
		case items <- 1:
		case <-ctx.Done():
			return
		}
	}
}

// stopFreshTimers makes a timer of delay d for each item and stops it at
// once, until ctx is done; it reports whether every stop came in time.
func stopFreshTimers(ctx context.Context, items <-chan int, d time.Duration) bool {
	all := true
	for {
		select {
		case <-items:
			all = time.NewTimer(d).Stop() && all
		case <-ctx.Done():
			return all
		}
	}
}
