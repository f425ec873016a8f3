// Minimal typings for the parts of jstat that analysis/ uses (the package ships none).
declare module 'jstat' {
  interface StudentT {
    inv(p: number, dof: number): number;
    cdf(x: number, dof: number): number;
  }
  interface JStatStatic {
    studentt: StudentT;
  }
  const jstat: { jStat: JStatStatic };
  export default jstat;
}
