package ansible

// INIValue types text as Ansible types the value of `K=V` written after a
// host in an INI inventory, once shlex has split the line, under the given
// rules (empty means DefaultRules): the Python literal it spells (8080 an
// int, True a bool, [1, 2] a list, '8080' a string), else the text itself;
// "" stays the empty string. It is the function the INI reader types host
// lines with, so a value typed here reads as the same line of an INI file.
// An error means a literal Ansible cannot use under those rules (2.14: a
// set, a complex number, bytes inside a container; both: an integer beyond
// int64): Ansible fails on those, so kook refuses them.
func INIValue(text string, rules Rules) (any, error) {
	return iniValueRules(text, ReadOptions{Rules: rules}.rules())
}
