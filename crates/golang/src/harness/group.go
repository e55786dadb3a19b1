
// Group is an error group with its context (the model's `group(ctx, limit)`):
// the first task that returns an error cancels ctx, and so does Wait.
type Group struct {
	*errgroup.Group
	ctx *Ctx
}

// newGroup makes a group under parent (none: a background root), running at
// most limit tasks at once when limit is positive.
func newGroup(parent *Ctx, limit int) *Group {
	base := context.Background()
	if parent != nil {
		base = parent.Context
	}
	g, gctx := errgroup.WithContext(base)
	if limit > 0 {
		g.SetLimit(limit)
	}
	return &Group{g, derive(gctx)}
}
