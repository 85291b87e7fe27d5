# an 8-byte store at cb[4] runs past the end of cb[]
# type: sched_cls
# expect: invalid bpf_context access off=64 size=8
# kernel: reject
stdw [%r1+64], 0
mov %r0, 0
exit
