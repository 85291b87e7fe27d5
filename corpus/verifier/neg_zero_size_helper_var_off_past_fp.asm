# a zero-sized helper access still puts its variable-offset stack pointer in bounds: fp-16 plus 0..63 reaches past fp (check_stack_access_within_bounds)
# type: socket_filter
# expect: invalid variable-offset write to stack R1
# kernel: reject
mov %r0, 0
stxdw [%r10-16], %r0
stxdw [%r10-8], %r0
ldxw %r1, [%r1+0]
and %r1, 63
add %r1, -16
add %r1, %r10
mov %r2, 0
mov %r3, 0
call 113
mov %r0, 0
exit
