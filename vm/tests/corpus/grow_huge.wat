;; Asks for 65536 pages at once: charged per page before it runs, so gas ends it.
(module
  (memory (export "memory") 1)
  (func (export "call") (drop (memory.grow (i32.const 65536)))))
