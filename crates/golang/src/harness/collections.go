
// has tells whether a map has a key (the `ok` of `v, ok := m[k]`).
func has[K comparable, V any](m map[K]V, k K) bool {
	_, ok := m[k]
	return ok
}

// mapIter walks a map as `range` does: the keys it had at the start, in
// Go's random order, skipping those deleted since; then, as Go's range may
// or may not, each key added since (a seeded choice for each).
type mapIter[K comparable, V any] struct {
	m     map[K]V
	keys  []K
	known map[K]bool
}

func newMapIter[K comparable, V any](m map[K]V) *mapIter[K, V] {
	it := &mapIter[K, V]{m: m, known: map[K]bool{}}
	for k := range m {
		it.keys = append(it.keys, k)
		it.known[k] = true
	}
	return it
}

// next stores the next entry through k and v (when not nil) and reports
// whether there was one; at the end it stores nothing, as `range` leaves
// its variables with the last entry.
func (it *mapIter[K, V]) next(k *K, v *V) bool {
	if len(it.keys) == 0 {
		for key := range it.m {
			if !it.known[key] {
				it.known[key] = true
				if choose(2) == 0 {
					it.keys = append(it.keys, key)
				}
			}
		}
	}
	for len(it.keys) > 0 {
		key := it.keys[0]
		it.keys = it.keys[1:]
		if value, ok := it.m[key]; ok {
			if k != nil {
				*k = key
			}
			if v != nil {
				*v = value
			}
			return true
		}
	}
	return false
}

// list is a queue shared by reference: the model's list.
type list[T any] struct{ xs []T }

func newList[T any]() *list[T] { return &list[T]{} }

// push appends, as `q = append(q, v)`.
func (l *list[T]) push(v T) { l.xs = append(l.xs, v) }

// pop takes the first element, as `v, q = q[0], q[1:]` (panics when empty).
func (l *list[T]) pop() T {
	v := l.xs[0]
	l.xs = l.xs[1:]
	return v
}
