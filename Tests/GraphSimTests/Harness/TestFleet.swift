/// A small fleet with one device of every case the simulator tells apart.
enum TestFleet {
    static let csv = """
        device_id,device_name,serial_number,imei,platform,os_version,management,primary_user_upn,enrolled_by_upn,passcode_set,last_check_in,enrollment
        ios-1,Jane's iPhone,F2LXK0AAHG7F,356938035643809,iOS,17.2,mdm,jdoe@contoso.com,jdoe@contoso.com,true,2026-11-24T08:15:00Z,
        ios-2,Adam's iPad,DMPXK1BBHG7F,,iPadOS,17.1,eas_mdm,asmith@contoso.com,helpdesk@contoso.com,true,2026-11-24T08:15:00Z,
        mac-1,Design MacBook,C02XK0DDJGH5,,macOS,14.2,mdm,bwong@contoso.com,bwong@contoso.com,true,2026-11-24T08:15:00Z,
        mac-2,Finance MacBook,C02XK0EEJGH5,,macOS,14.5,mdm,asmith@contoso.com,asmith@contoso.com,true,2026-11-24T08:15:00Z,
        win-1,Reception PC,PF3ABCD1,,Windows,10.0.19045.3803,mdm,cgarcia@contoso.com,cgarcia@contoso.com,true,2026-11-24T08:15:00Z,
        lin-1,Build box,LNX0001,,Ubuntu,22.04,mdm,bwong@contoso.com,bwong@contoso.com,true,2026-11-24T08:15:00Z,
        chr-1,Kiosk Chromebook,CHR0001,,ChromeOS,120,mdm,,,true,2026-11-24T08:15:00Z,
        vis-1,Vision Pro,VIS0001,,visionOS,2.1,mdm,jdoe@contoso.com,jdoe@contoso.com,true,2026-11-24T08:15:00Z,
        vis-old,Old Vision Pro,VIS0002,,visionOS,1.2,mdm,jdoe@contoso.com,jdoe@contoso.com,true,2026-11-24T08:15:00Z,
        and-ded,Warehouse scanner,R58M0001,352099001761481,Android,14,mdm,,,true,2026-11-24T08:15:00Z,dedicated
        and-fm,Field phone,R58M0002,352099001761482,Android,14,mdm,dlee@contoso.com,dlee@contoso.com,true,2026-11-24T08:15:00Z,fully_managed
        and-cwp,Sales phone,R58M0003,352099001761483,Android,13,mdm,jdoe@contoso.com,jdoe@contoso.com,true,2026-11-24T08:15:00Z,corporate_work_profile
        and-pwp,Own phone,R58M0004,352099001761484,Android,13,mdm,asmith@contoso.com,asmith@contoso.com,true,2026-11-24T08:15:00Z,personal_work_profile
        and-aosp,Headset,R58M0005,,AOSP,12,mdm,,,true,2026-11-24T08:15:00Z,aosp
        and-da,Old tablet,R58M0006,352099001761486,Android,9,mdm,bwong@contoso.com,bwong@contoso.com,true,2026-11-24T08:15:00Z,device_admin
        and-unk,Unknown phone,R58M0007,352099001761487,Android,13,mdm,cgarcia@contoso.com,cgarcia@contoso.com,true,2026-11-24T08:15:00Z,
        jamf-1,Jamf Mac,C02XK0FFJGH5,,macOS,14.1,jamf,dlee@contoso.com,dlee@contoso.com,true,2026-11-24T08:15:00Z,
        """ + "\n"

    static let users = """
        upn,display_name,email,department
        asmith@contoso.com,Adam Smith,adam.smith@contoso.com,Finance
        bwong@contoso.com,Bo Wong,bo.wong@contoso.com,Engineering
        cgarcia@contoso.com,Carmen Garcia,carmen.garcia@contoso.com,Engineering
        dlee@contoso.com,Dana Lee,dana.lee@contoso.com,Operations
        jdoe@contoso.com,Jane Doe,jane.doe@contoso.com,Sales
        """ + "\n"
}
