
// same tells whether two arrays or two callbacks are the same one (the
// model compares handles; Go compares neither slices nor funcs).
func same(a, b interface{}) bool {
	x, y := reflect.ValueOf(a), reflect.ValueOf(b)
	return x.Kind() == y.Kind() && x.Pointer() == y.Pointer() && (x.Kind() != reflect.Slice || x.Len() == y.Len())
}
