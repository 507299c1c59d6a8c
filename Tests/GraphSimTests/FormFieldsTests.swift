import MDMBatchShared
import Testing
@testable import GraphSimulator

@Suite("Form fields")
struct FormFieldsTests {
    @Test("percent-encoded keys and values decode, + is a space")
    func decodes() {
        let fields = FormFields("%24select=id%2CdeviceName&scope=a+b&empty=&flag")
        #expect(fields["$select"] == "id,deviceName")
        #expect(fields["scope"] == "a b")
        #expect(fields["empty"] == "")
        #expect(fields["flag"] == "")
        #expect(fields["missing"] == nil)
    }
}
