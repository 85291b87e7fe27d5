# a NULL the verifier computes (a context field ANDed with 0) is a known NULL too; the context itself on the other path
# type: sched_cls
# expect: accept
# kernel: accept
ldxw %r2, [%r1+0]
jne %r2, 7, +2
and %r2, 0
mov %r1, %r2
call 122
mov %r0, 0
exit
