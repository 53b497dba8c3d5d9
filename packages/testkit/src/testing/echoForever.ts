// A stand-in service for ServiceProcess's own test: prints $ECHO, then idles until killed.
console.log(process.env.ECHO ?? 'ready');
setInterval(() => {}, 1 << 30);
