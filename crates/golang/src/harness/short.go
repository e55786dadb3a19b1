
// shorts holds the timers and tickers the model makes `short`: a nanosecond,
// no longer than a few statements, so they may fire between any two.
var shorts sync.Map

// shortTimer is a `timer(short)`.
func shortTimer() *time.Timer {
	t := time.NewTimer(time.Nanosecond)
	shorts.Store(t, true)
	return t
}

// shortTicker is a `ticker(short)`.
func shortTicker() *time.Ticker {
	t := time.NewTicker(time.Nanosecond)
	shorts.Store(t, true)
	return t
}

// timerDelayOf is the delay a reset gives t: short if t was made short.
func timerDelayOf(t *time.Timer) time.Duration {
	if _, ok := shorts.Load(t); ok {
		return time.Nanosecond
	}
	return timerDelay()
}

// tickPeriodOf is the period a reset gives t: short if t was made short.
func tickPeriodOf(t *time.Ticker) time.Duration {
	if _, ok := shorts.Load(t); ok {
		return time.Nanosecond
	}
	return tickPeriod()
}
