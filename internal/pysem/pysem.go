// Package pysem is the one place where kook reproduces Python 3 semantics
// that Ansible's answers depend on: what int() accepts and how it fails,
// what str.isspace() and the regular expressions' \d and \w match, and how
// repr() writes a value. Every reader in pkg/ansible and pkg/kook calls
// these instead of keeping its own copy, so that they cannot disagree.
//
// The reference is CPython 3.11 (Debian 12's, under ansible-core 2.14):
// Unicode 14.0 character data and the 4,300-digit limit on int(str). Go's
// tables are newer; the characters they add (unicode_newer.go, generated)
// are unassigned to Python 3.11, so no digit, letter or printable
// character here. Pythons with newer Unicode data disagree with 3.11 on
// exactly those characters. The table test in this package checks every
// entry point against the real Python and the real Ansible plugins.
package pysem

//go:generate go run gen_unicode.go
