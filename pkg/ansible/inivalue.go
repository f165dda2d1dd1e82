package ansible

// INIValue types text as Ansible types the value of `K=V` written after a
// host in an INI inventory, once shlex has split the line: the Python
// literal it spells (8080 an int, True a bool, [1, 2] a list, '8080' a
// string), else the text itself; "" stays the empty string. An error means
// a literal Ansible cannot use (a set, a complex number, an integer beyond
// int64): Ansible fails on those, so kook refuses them.
func INIValue(text string) (any, error) { return iniValue(text) }
