format: 1
key_id: 640dcef3ebc561ac
agent: nodex
version: 1.4.2
size: 310
hash: 6c0a4df6285fd7e4c9ba833039a0c70b2fe35a886c5e9d3348b9008af02f1203
unpacked_size: 263
entries: 4
created: 1767225600
signat