# ctx pointer moved before the load
# type: xdp
# expect: dereference of modified ctx ptr R1 off=4 disallowed
# kernel: reject
add %r1, 4
ldxw %r0, [%r1+0]
exit
