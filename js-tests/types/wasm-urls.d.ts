// The one declaration the README gives for importing either build's wasm as a URL.
declare module "pinauth/*.wasm" {
  const url: string;
  export default url;
}
