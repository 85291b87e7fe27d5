# a 4-byte load at offset 2 straddles two fields
# type: sched_cls
# expect: invalid bpf_context access off=2 size=4
# kernel: reject
ldxw %r0, [%r1+2]
exit
