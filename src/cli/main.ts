// placeholder, replaced below
console.log('ringmaster');
