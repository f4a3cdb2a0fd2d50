;; Grows memory a page at a time until the cap refuses; returns the final page count.
(module
  (import "vnt_v1" "return_data" (func $return_data (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "call")
    (loop $more (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    (i32.store (i32.const 0) (memory.size))
    (call $return_data (i32.const 0) (i32.const 4))))
