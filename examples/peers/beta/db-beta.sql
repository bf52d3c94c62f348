beta's database dump
